#include "services_e2e.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "kube_proxy_layouts.hpp"
#include "netns_spawn.hpp"
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
  auto fd = sys::run_in(*ns, [] { return UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
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

}  // namespace

bool run_e2e_lab(const std::string& podnetctl, const std::vector<std::string>& ipt_restore,
                 int n) {
  fmt::print("\nEnd to end in a 2-node lab: one `podnetctl apply -f` of {} Services until the last "
             "answers\n", n);
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
  const std::string file = fmt::format("/tmp/pnbench-e2e-{}.yaml", getpid());
  write_file(file, e2e_yaml(n, 0, 80));
  const std::string last_ip = ip_text(0x0a600000u + 10u + uint32_t(n - 1));

  auto t0 = Clock::now();
  int rc = lab.run("apply -f " + file + " >/dev/null", &out);
  double apply_s = seconds_since(t0);
  bool answered = rc == 0 && wait_answer(lab, last_ip, 80, t0 + 300s);
  double answer_s = seconds_since(t0);
  std::remove(file.c_str());
  if (!answered) {
    fmt::print("  the last Service did not answer (apply rc {}): {}\n", rc, out.substr(0, 400));
    return false;
  }

  // One Service changed (its port), until the new port answers; a few rounds.
  std::vector<double> change_ms;
  for (int r = 0; r < 3; ++r) {
    const std::string one = fmt::format("/tmp/pnbench-e2e-{}-one.yaml", getpid());
    write_file(one, e2e_yaml(1, n - 1, 81 + r));
    auto c0 = Clock::now();
    if (lab.run("apply -f " + one + " >/dev/null", &out) != 0 ||
        !wait_answer(lab, last_ip, 81 + r, c0 + 60s)) {
      fmt::print("  one-Service change {} did not answer: {}\n", r, out.substr(0, 400));
      std::remove(one.c_str());
      return false;
    }
    change_ms.push_back(seconds_since(c0) * 1000);
    std::remove(one.c_str());
  }
  std::string metrics;
  lab.run("exec --node lxb001 -- curl -s 127.0.0.1:9402/metrics", &metrics);

  // kube-proxy's iptables layout: the same number of Services restored in a fresh namespace,
  // then a partial sync of one changed Service.
  auto svcs = make_services(n);
  podnet::testing::ScopedNetns ns(podnet::testing::unique_prefix("bsei") + "node");
  const std::string setup = fmt::format("/tmp/pnbench-e2e-{}-setup", getpid());
  const std::string full = fmt::format("/tmp/pnbench-e2e-{}-full", getpid());
  const std::string part = fmt::format("/tmp/pnbench-e2e-{}-part", getpid());
  write_file(setup, iptables_setup());
  write_file(full, iptables_full(svcs));
  double ipt_full_s = 0;
  std::vector<double> ipt_part_ms;
  try {
    run_tool_ok(ns.path(), ipt_restore, setup);
    ipt_full_s = run_tool_ok(ns.path(), ipt_restore, full).wall_ms / 1e3;
    for (int r = 0; r < 3; ++r) {
      size_t c = svcs.size() - 1;
      auto old = svcs[c].endpoints;
      svcs[c].endpoints = {spare_endpoint(2 * r), spare_endpoint(2 * r + 1)};
      write_file(part, iptables_partial(svcs, c, old));
      ipt_part_ms.push_back(run_tool_ok(ns.path(), ipt_restore, part).wall_ms);
    }
  } catch (const std::exception& e) {
    fmt::print("  kube-proxy iptables baseline failed: {}\n", e.what());
  }
  for (const auto& f : {setup, full, part}) std::remove(f.c_str());

  const double change = median(change_ms), kp_part = median(ipt_part_ms);
  fmt::print("  podnet: apply -f returned after {:.2f} s; the last Service answered after {:.2f} s\n",
             apply_s, answer_s);
  fmt::print("  kube-proxy iptables: restoring the same {} Services took {:.2f} s\n", n,
             ipt_full_s);
  fmt::print("  apply -> last answers vs iptables restore alone: {:.2f}x ({})\n",
             ipt_full_s / answer_s, answer_s < ipt_full_s ? "target met" : "target MISSED");
  fmt::print("  one-Service change until it answers: median {:.0f} ms (of {:.0f}, {:.0f}, {:.0f})\n",
             change, change_ms[0], change_ms[1], change_ms[2]);
  fmt::print("  kube-proxy iptables partial sync: median {:.0f} ms; podnet's change is {:.3f} of it "
             "({})\n",
             kp_part, kp_part > 0 ? change / kp_part : 0,
             kp_part > 0 && change < kp_part / 5 ? "under a fifth: target met"
                                                 : "target (under a fifth) MISSED");
  for (const char* m : {"podnet_proxy_sync_duration_seconds_count",
                        "podnet_proxy_sync_duration_seconds_sum", "podnet_proxy_services{",
                        "podnet_proxy_endpoints{"})
    for (size_t at = metrics.find(m); at != std::string::npos; at = metrics.find(m, at + 1)) {
      if (at > 0 && metrics[at - 1] != '\n') continue;
      fmt::print("  lxb001 {}\n", metrics.substr(at, metrics.find('\n', at) - at));
    }
  return true;
}

}  // namespace podnet::bench
