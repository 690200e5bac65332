#include "status_board.hpp"

#include <ctime>

#include "podnet/agent/status.hpp"

namespace podnet::agent {

void StatusBoard::publish(const ReadyInputs& ready, MetricsSnapshot metrics) {
  std::lock_guard lk(mu_);
  ready_ = ready;
  metrics_ = std::move(metrics);
}

HttpResponse StatusBoard::handle(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "method not allowed\n"};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path != "/readyz" && path != "/metrics" && path != "/status")
    return {404, "text/plain", "not found\n"};
  ReadyInputs in;
  MetricsSnapshot m;
  {
    std::lock_guard lk(mu_);
    in = ready_;
    m = metrics_;
  }
  in.now = std::chrono::steady_clock::now();
  Readiness r = readiness(in);
  if (path == "/readyz") return {r.ready ? 200 : 503, "text/plain; charset=utf-8", r.reason + "\n"};
  if (path == "/status")
    return {200, "application/json", render_status(m, r, double(::time(nullptr))).dump(2) + "\n"};
  m.ready = r.ready;
  return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(m)};
}

}  // namespace podnet::agent
