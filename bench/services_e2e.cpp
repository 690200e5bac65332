#include "services_e2e.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "kube_proxy_layouts.hpp"
#include "netns_spawn.hpp"
#include "podnet/agent/histogram.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/testing/netns_fixture.hpp"
#include "service_set.hpp"

namespace podnet::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The lab, taken down whatever happens.
struct Lab {
  std::string ctl, name;
  bool up = false;
  int run(const std::string& args, std::string* out = nullptr) const {
    return podnet::testing::sh(fmt::format("{} --lab {} {} 2>&1", ctl, name, args), out);
  }
  ~Lab() {
    if (up) run("lab down");
  }
};

std::string e2e_yaml(int n, int first, int port) {
  std::string out;
  out.reserve(size_t(n) * 200);
  for (int i = first; i < first + n; ++i)
    fmt::format_to(std::back_inserter(out),
                   "apiVersion: v1\nkind: Service\nmetadata:\n  name: e2e-{:05}\nspec:\n"
                   "  clusterIP: {}\n  selector:\n    app: web\n  ports:\n  - port: {}\n"
                   "    targetPort: 80\n---\n",
                   i, ip_text(0x0a600000u + 10u + uint32_t(i)), port);
  return out;
}

// One HTTP GET from inside node lxb001's netns (a socket made there): true when a
// pod's page came back. No process per try, so the polling itself costs microseconds.
bool answers(const std::string& node_ns, const std::string& ip, int port) {
  auto ns = sys::Netns::open(node_ns);
  if (!ns) return false;
  auto fd =
      sys::run_in(*ns, [] { return UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
  if (!fd || !*fd) return false;
  // Before the rules exist a SYN to the ClusterIP goes unanswered (the node's default route):
  // give up on a connect after 20 ms and try again, so that wait is not what gets measured.
  timeval rcv{1, 0}, snd{0, 20000};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv);
  ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  const std::string req = "GET / HTTP/1.0\r\n\r\n";
  if (::write(fd->get(), req.data(), req.size()) != ssize_t(req.size())) return false;
  std::string got;
  char buf[1024];
  for (ssize_t n; (n = ::read(fd->get(), buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  return got.find("\r\n\r\npod ") != std::string::npos;
}

// Polls until the address answers from node lxb001.
bool wait_answer(const Lab& lab, const std::string& ip, int port, Clock::time_point deadline) {
  const std::string node_ns = "/var/run/netns/" + lab.name + "-lxb001";
  while (Clock::now() < deadline) {
    if (answers(node_ns, ip, port)) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// podnetd's pid in the node netns `ns` (ip netns pids); -1 when none.
int podnetd_pid(const std::string& ns) {
  std::string out;
  podnet::testing::sh("ip netns pids " + ns, &out);
  std::istringstream in(out);
  for (int pid; in >> pid;) {
    std::ifstream comm(fmt::format("/proc/{}/comm", pid));
    std::string name;
    if (comm >> name && name == "podnetd") return pid;
  }
  return -1;
}

// CPU seconds (user + system) a process has used so far; 0 when it cannot be read.
double process_cpu_s(int pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

// CPU seconds (user + system) of the children this process has waited for (podnetctl under sh).
double children_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_CHILDREN, &ru);
  auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = size_t(std::ceil(q * double(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

}  // namespace

bool run_e2e_lab(const std::string& podnetctl, const std::vector<std::string>& ipt_restore, int n,
                 int changes) {
  fmt::print(
      "\nEnd to end in a 2-node lab: one `podnetctl apply -f` of {} Services until the last "
      "answers; {}\n",
      n, load());
  std::fflush(stdout);
  auto p = podnet::testing::unique_prefix("bse");
  Lab lab{podnetctl, p.substr(0, p.size() - 1)};
  std::string out;
  lab.up = true;
  if (lab.run("lab up --nodes 2", &out) != 0) {
    fmt::print("  lab up failed: {}\n", out);
    return false;
  }
  if (lab.run("create deployment web --replicas 2 --timeout 120", &out) != 0) {
    fmt::print("  deployment failed: {}\n", out);
    return false;
  }
  const std::string node_ns = lab.name + "-lxb001";
  const int agent = podnetd_pid(node_ns);
  const std::string file = fmt::format("/tmp/pnbench-e2e-{}.yaml", getpid());
  write_file(file, e2e_yaml(n, 0, 80));
  const std::string last_ip = ip_text(0x0a600000u + 10u + uint32_t(n - 1));

  const double agent_cpu0 = process_cpu_s(agent), ctl_cpu0 = children_cpu_s();
  auto t0 = Clock::now();
  int rc = lab.run("apply -f " + file + " >/dev/null", &out);
  double apply_s = seconds_since(t0);
  const double ctl_cpu = children_cpu_s() - ctl_cpu0;
  bool answered = rc == 0 && wait_answer(lab, last_ip, 80, t0 + 300s);
  double answer_s = seconds_since(t0);
  const double agent_cpu = process_cpu_s(agent) - agent_cpu0;
  const std::string apply_load = load();
  std::remove(file.c_str());
  if (!answered) {
    fmt::print("  the last Service did not answer (apply rc {}): {}\n", rc, out.substr(0, 400));
    return false;
  }

  // A series of one-Service changes (the last Service's port), each until the new port answers.
  // podnetd's own programming latency (store change seen -> rules in place) comes from its
  // histogram: the scrape after the series minus the one before it.
  const std::string metrics_cmd = "exec --node lxb001 -- curl -s 127.0.0.1:9402/metrics";
  const std::string hist_name = "podnet_proxy_programming_latency_seconds";
  std::string before_text, metrics;
  lab.run(metrics_cmd, &before_text);
  auto hist_before = agent::Histogram::parse(before_text, hist_name, "node=\"lxb001\"");
  std::vector<double> change_ms;
  const double agent_cpu1 = process_cpu_s(agent);
  for (int r = 0; r < changes; ++r) {
    const std::string one = fmt::format("/tmp/pnbench-e2e-{}-one.yaml", getpid());
    const int port = 81 + r % 1000;
    write_file(one, e2e_yaml(1, n - 1, port));
    auto c0 = Clock::now();
    if (lab.run("apply -f " + one + " >/dev/null", &out) != 0 ||
        !wait_answer(lab, last_ip, port, c0 + 60s)) {
      fmt::print("  one-Service change {} did not answer: {}\n", r, out.substr(0, 400));
      std::remove(one.c_str());
      return false;
    }
    change_ms.push_back(seconds_since(c0) * 1000);
    std::remove(one.c_str());
  }
  const double series_agent_cpu = process_cpu_s(agent) - agent_cpu1;
  const std::string series_load = load();
  lab.run(metrics_cmd, &metrics);
  auto hist_after = agent::Histogram::parse(metrics, hist_name, "node=\"lxb001\"");

  // kube-proxy's iptables layout: the same number of Services restored in a fresh namespace,
  // then a partial sync of one changed Service.
  auto svcs = make_services(n);
  podnet::testing::ScopedNetns ns(podnet::testing::unique_prefix("bsei") + "node");
  const std::string setup = fmt::format("/tmp/pnbench-e2e-{}-setup", getpid());
  const std::string full = fmt::format("/tmp/pnbench-e2e-{}-full", getpid());
  const std::string part = fmt::format("/tmp/pnbench-e2e-{}-part", getpid());
  write_file(setup, iptables_setup());
  write_file(full, iptables_full(svcs));
  ToolRun ipt_full;
  std::vector<double> ipt_part_ms, ipt_part_cpu_ms;
  try {
    run_tool_ok(ns.path(), ipt_restore, setup);
    ipt_full = run_tool_ok(ns.path(), ipt_restore, full);
    for (int r = 0; r < 3; ++r) {
      size_t c = svcs.size() - 1;
      auto old = svcs[c].endpoints;
      svcs[c].endpoints = {spare_endpoint(2 * r), spare_endpoint(2 * r + 1)};
      write_file(part, iptables_partial(svcs, c, old));
      auto t = run_tool_ok(ns.path(), ipt_restore, part);
      ipt_part_ms.push_back(t.wall_ms);
      ipt_part_cpu_ms.push_back(t.user_ms + t.sys_ms);
    }
  } catch (const std::exception& e) {
    fmt::print("  kube-proxy iptables baseline failed: {}\n", e.what());
  }
  const std::string ipt_load = load();
  for (const auto& f : {setup, full, part}) std::remove(f.c_str());
  const double ipt_full_s = ipt_full.wall_ms / 1e3;

  const double change = median(change_ms), kp_part = median(ipt_part_ms);
  fmt::print(
      "  podnet: apply -f returned after {:.2f} s (podnetctl CPU {:.2f} s); the last Service "
      "answered after {:.2f} s (lxb001's podnetd CPU meanwhile {:.2f} s); {}\n",
      apply_s, ctl_cpu, answer_s, agent_cpu, apply_load);
  fmt::print(
      "  kube-proxy iptables: restoring the same {} Services took {:.2f} s (CPU {:.2f} s: "
      "user {:.2f}, system {:.2f}); {}\n",
      n, ipt_full_s, (ipt_full.user_ms + ipt_full.sys_ms) / 1e3, ipt_full.user_ms / 1e3,
      ipt_full.sys_ms / 1e3, ipt_load);
  fmt::print("  apply -> last answers vs iptables restore alone: {:.2f}x ({})\n",
             ipt_full_s / answer_s, answer_s < ipt_full_s ? "target met" : "target MISSED");
  fmt::print(
      "  {} one-Service changes until each answers: median {:.0f} ms, p99 {:.0f} ms, first "
      "{:.0f} ms, max {:.0f} ms (lxb001's podnetd CPU for the series {:.2f} s); {}\n",
      change_ms.size(), change, percentile(change_ms, 0.99), change_ms.front(), max_of(change_ms),
      series_agent_cpu, series_load);
  fmt::print(
      "  kube-proxy iptables partial sync: median {:.0f} ms (CPU {:.0f} ms); podnet's change "
      "is {:.3f} of it ({})\n",
      kp_part, median(ipt_part_cpu_ms), kp_part > 0 ? change / kp_part : 0,
      kp_part > 0 && change < kp_part / 5 ? "under a fifth: target met"
                                          : "target (under a fifth) MISSED");
  if (hist_before && hist_after) {
    agent::Histogram d = hist_after->since(*hist_before);
    const double p99 = d.quantile(0.99);
    fmt::print(
        "  podnetd programming latency (store change seen -> rules in place) over those {} "
        "syncs at {} Services: p50 {:.1f} ms, p99 {:.1f} ms, mean {:.1f} ms (<= 50 ms: "
        "{})\n",
        d.count, n, d.quantile(0.5) * 1000, p99 * 1000,
        d.count ? d.sum / double(d.count) * 1000 : 0.0, p99 <= 0.05 ? "met" : "MISSED");
  } else {
    fmt::print("  podnetd's {} histogram not found in its /metrics\n", hist_name);
  }
  for (const char* m :
       {"podnet_proxy_sync_duration_seconds_count", "podnet_proxy_sync_duration_seconds_sum",
        "podnet_proxy_services{", "podnet_proxy_endpoints{", "podnet_proxy_sync_errors_total{"})
    for (size_t at = metrics.find(m); at != std::string::npos; at = metrics.find(m, at + 1)) {
      if (at > 0 && metrics[at - 1] != '\n') continue;
      fmt::print("  lxb001 {}\n", metrics.substr(at, metrics.find('\n', at) - at));
    }
  return true;
}

}  // namespace podnet::bench
