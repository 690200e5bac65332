#pragma once
// What podnetd's HTTP thread shows (/healthz /readyz /metrics /status): the loop publishes a
// copy of the readiness inputs and the metrics every pass; handle() runs on the HTTP thread and
// reads only that copy, under a lock (never the loop's live parts).
#include <mutex>
#include <string_view>

#include "http_server.hpp"
#include "podnet/agent/metrics.hpp"
#include "podnet/agent/readiness.hpp"

namespace podnet::agent {

class StatusBoard {
 public:
  void publish(const ReadyInputs& ready, MetricsSnapshot metrics);
  // Thread-safe.
  HttpResponse handle(std::string_view method, std::string_view path);

 private:
  std::mutex mu_;
  ReadyInputs ready_;
  MetricsSnapshot metrics_;
};

}  // namespace podnet::agent
