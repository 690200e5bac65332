#include "service_topology.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::bench {
namespace {

void must(const std::string& cmd) {
  std::string out;
  if (podnet::testing::sh(cmd + " 2>&1", &out) != 0)
    throw std::runtime_error(fmt::format("topology: `{}` failed: {}", cmd, out));
}

sys::Netns open_ns(const std::string& path) {
  auto ns = sys::Netns::open(path);
  if (!ns) throw std::runtime_error(fmt::format("open netns {}: {}", path, ns.error().message));
  return std::move(*ns);
}

}  // namespace

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

ServiceTopology::ServiceTopology(const std::string& prefix, const BenchService& target)
    : node_(prefix + "node"), pod_(prefix + "pod"), client_(prefix + "cli") {
  const std::string n = node_.name(), p = pod_.name(), c = client_.name();
  must(fmt::format("ip -n {} link set lo up && ip -n {} link set lo up && ip -n {} link set lo up",
                   n, p, c));
  must(fmt::format("ip -n {} link add np type veth peer name p0 netns {}", n, p));
  must(fmt::format("ip -n {} link add nc type veth peer name c0 netns {}", n, c));
  must(
      fmt::format("ip -n {0} addr add 10.0.1.1/30 dev np && ip -n {0} link set np up && "
                  "ip -n {0} addr add 10.191.255.1/30 dev nc && ip -n {0} link set nc up",
                  n));
  must(
      fmt::format("ip -n {0} addr add 10.0.1.2/30 dev p0 && ip -n {0} link set p0 up && "
                  "ip -n {0} route add default via 10.0.1.1",
                  p));
  must(
      fmt::format("ip -n {0} addr add 10.191.255.2/30 dev c0 && ip -n {0} link set c0 up && "
                  "ip -n {0} route add default via 10.191.255.1",
                  c));
  for (const auto& e : target.endpoints) {
    must(fmt::format("ip -n {} addr add {}/32 dev lo", p, ip_text(e.ip)));
    must(fmt::format("ip -n {} route add {}/32 via 10.0.1.2", n, ip_text(e.ip)));
  }
  must(fmt::format("ip netns exec {} sysctl -qw net.ipv4.ip_forward=1", n));
  // The endpoints' server: one listener on 0.0.0.0:port in the pod (both endpoint IPs).
  uint16_t port = target.endpoints.at(0).port;
  auto r = sys::run_in(open_ns(pod_.path()), [&]() -> int {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  });
  if (!r || *r < 0)
    throw std::runtime_error(fmt::format("listen on port {} in {}: failed", port, p));
  listen_fd_ = *r;
}

ServiceTopology::~ServiceTopology() {
  if (listen_fd_ >= 0) close(listen_fd_);
}

ConnectStats ServiceTopology::connect_latency(const BenchService& target, int count) const {
  ConnectStats st;
  std::vector<double> times;
  auto r = sys::run_in(open_ns(client_.path()), [&]() -> int {
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(target.port);
    dst.sin_addr.s_addr = htonl(target.cluster_ip);
    constexpr int warmup = 20;  // neighbour entries, route caches
    for (int i = 0; i < warmup + count; ++i) {
      check_interrupted();
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      linger lg{1, 0};  // close with RST: no TIME_WAIT pile-up, each connect a fresh flow
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      timeval tv{3, 0};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      double t0 = now_ms();
      int rc = connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
      double dt = now_ms() - t0;
      int err = errno;
      close(fd);
      while (true) {  // drain the server's accept queue
        int a = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (a < 0) break;
        close(a);
      }
      if (i < warmup) continue;
      if (rc == 0) {
        times.push_back(dt);
        ++st.ok;
      } else if (st.failed++ == 0) {
        st.first_error = fmt::format("connect {}:{}: {}", ip_text(target.cluster_ip), target.port,
                                     strerror(err));
      }
      if (st.failed >= 20 && st.ok == 0) break;  // not reachable at all: stop early
    }
    return 0;
  });
  if (!r) throw std::runtime_error("connect loop: " + r.error().message);
  st.median_ms = median(times);
  st.p99_ms = percentile(times, 0.99);
  return st;
}

}  // namespace podnet::bench
