#include <malloc.h>
#include <sys/resource.h>

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "netns_spawn.hpp"
#include "podnet/proxy/model.hpp"
#include "podnet/proxy/proxier.hpp"
#include "podnet/sys/netns.hpp"
#include "services_podnet.hpp"

namespace podnet::bench {
namespace {

proxy::Service to_proxy(const BenchService& s) {
  proxy::Service out;
  out.ns = s.ns;
  out.name = s.name;
  out.cluster_ip = net::IpAddress::v4(s.cluster_ip);
  proxy::ServicePort p;
  p.name = "http";
  p.protocol = proxy::Protocol::tcp;
  p.port = s.port;
  for (const auto& e : s.endpoints) p.endpoints.push_back({net::IpAddress::v4(e.ip), e.port, true});
  out.ports.push_back(std::move(p));
  return out;
}

// Versions numbered as podnetd numbers its views (one counter over all Services; a changed
// Service gets the next value), so a sync skips unchanged Services as it does in podnetd.
proxy::Snapshot snapshot_of(const std::vector<BenchService>& svcs) {
  proxy::Snapshot snap;
  snap.node.cluster_cidr = *net::Prefix::parse(kClusterCidr);
  snap.node.service_cidr = *net::Prefix::parse(kServiceCidr);
  snap.services.reserve(svcs.size());
  for (const auto& s : svcs) {
    snap.services.push_back(to_proxy(s));
    snap.services.back().version = snap.services.size();
  }
  return snap;
}

sys::Netns open_ns(const std::string& path) {
  auto ns = sys::Netns::open(path);
  if (!ns) throw std::runtime_error(fmt::format("open netns {}: {}", path, ns.error().message));
  return std::move(*ns);
}

// kB figures of /proc/self/status.
double status_mb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string k;
  double v = 0;
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(line.find(':') + 1)) / 1024.0;
  return v;
}

// This thread's {system, user + system} CPU time, ms.
std::pair<double, double> thread_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  double sys = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
  return {sys, sys + ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3};
}

double heap_mb() {
  return static_cast<double>(mallinfo2().uordblks) / (1024.0 * 1024.0);
}

}  // namespace

struct PodnetProxy::Impl {
  sys::Netns ns;
  proxy::Proxier proxier;
  proxy::Snapshot snap;
  uint64_t last_version = 0;
};

bool PodnetProxy::available() {
  return true;
}

PodnetProxy::PodnetProxy(const std::string& netns_path) {
  auto ns = open_ns(netns_path);
  auto p = sys::run_here_in(ns, [] { return proxy::Proxier::open(); });
  if (!p) throw std::runtime_error("podnet Proxier::open: " + p.error().message);
  impl_ = std::make_unique<Impl>(Impl{std::move(ns), std::move(*p), {}, 0});
}

PodnetProxy::~PodnetProxy() = default;

PodnetProxy::Timing PodnetProxy::full(const std::vector<BenchService>& svcs) {
  impl_->snap = snapshot_of(svcs);
  impl_->last_version = impl_->snap.services.size();
  Timing t;
  auto r = sys::run_here_in(impl_->ns, [&]() -> Result<> {
    auto c0 = thread_cpu_ms();
    double t0 = now_ms();
    auto s = impl_->proxier.sync(impl_->snap);
    t.wall_ms = now_ms() - t0;
    auto c1 = thread_cpu_ms();
    t.sys_ms = c1.first - c0.first;
    t.cpu_ms = c1.second - c0.second;
    if (!s) return std::unexpected(s.error());
    return {};
  });
  if (!r) throw std::runtime_error("podnet full sync: " + r.error().message);
  return t;
}

double PodnetProxy::update(size_t i, const std::vector<SvcEndpoint>& eps) {
  auto& port = impl_->snap.services.at(i).ports.at(0);
  port.endpoints.clear();
  for (const auto& e : eps) port.endpoints.push_back({net::IpAddress::v4(e.ip), e.port, true});
  impl_->snap.services.at(i).version = ++impl_->last_version;
  double dt = 0;
  auto r = sys::run_here_in(impl_->ns, [&]() -> Result<> {
    double t0 = now_ms();
    auto s = impl_->proxier.sync(impl_->snap);
    dt = now_ms() - t0;
    if (!s) return std::unexpected(s.error());
    return {};
  });
  if (!r) throw std::runtime_error("podnet one-service sync: " + r.error().message);
  return dt;
}

int podnet_memory_child(int n, const std::string& netns_path, const std::string& out_file) {
  double h0 = heap_mb();
  auto snap = snapshot_of(make_services(n));
  double h1 = heap_mb();
  auto ns = open_ns(netns_path);
  auto r = sys::run_here_in(ns, [&]() -> Result<> {
    auto p = proxy::Proxier::open();
    if (!p) return std::unexpected(p.error());
    auto s = p->sync(snap);
    if (!s) return std::unexpected(s.error());
    double h2 = heap_mb();
    write_file(out_file, fmt::format("{} {} {} {}\n", status_mb("VmHWM"), status_mb("VmRSS"),
                                     h2 - h1, h1 - h0));
    return {};
  });
  if (!r) {
    write_file(out_file, "error " + r.error().message + "\n");
    return 1;
  }
  return 0;
}

PodnetMemory podnet_memory(const std::string& self_exe, const std::string& netns_path, int n) {
  std::string out = fmt::format("/tmp/pnbench-mem-{}", getpid());
  write_file(out, "");
  auto run = run_tool(netns_path, {self_exe, "--memory-child", std::to_string(n), netns_path, out},
                      "/dev/null");
  PodnetMemory m;
  std::ifstream f(out);
  std::string first;
  f >> first;
  if (first == "error" || first.empty() || run.exit_code != 0) {
    std::string rest;
    std::getline(f, rest);
    m.error = fmt::format("memory child exit {}: {}{}", run.exit_code, rest, run.err);
  } else {
    m.hwm_mb = std::stod(first);
    f >> m.rss_mb >> m.proxier_heap_mb >> m.snapshot_heap_mb;
  }
  std::remove(out.c_str());
  return m;
}

}  // namespace podnet::bench
