// Control plane: how fast a new node becomes reachable, and how small the agent stays.
//   1. Convergence: N nodes run podnetd; a new node's agent starts, and we time from its start
//      to the moment a route to its subnet exists on every other node (taken from rtnetlink
//      announcements, not by polling). The new node then leaves (--leave) and the next join
//      uses a fresh node, so every join meets the same N-node cluster. Both stores.
//   2. Memory: 1000 peers (node entries + subnet leases) written into the store, one podnetd
//      started; VmHWM/VmRSS read once it has programmed all of them. Both stores.
//
//   bench_converge [--nodes N] [--joins J] [--peers P] [--store sqlite|etcd|both]
//     defaults: 10 nodes, 5 joins, 1000 peers, both stores
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "../tests/agent_integration/agent_cluster.hpp"
#include "bench_util.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/mac.hpp"
#include "route_watch.hpp"

using podnet::testing::AgentCluster;
namespace pb = podnet::bench;

namespace {

const std::vector<std::string> kAgentFlags = {"--backend",   "vxlan", "--log-level", "info",
                                              "--lease-ttl", "30",    "--listen",    ""};

void start_cluster(AgentCluster& c, const std::string& store) {
  if (store == "etcd" && !c.start_etcd())
    throw std::runtime_error("etcd did not start (is etcd-server installed?)");
}

// Join times in ms, one per join; a join that did not converge within 10 s counts as 10 s.
std::vector<double> converge(const std::string& store, int nodes, int joins) {
  AgentCluster c("bcv", nodes + joins);
  start_cluster(c, store);
  std::vector<std::string> paths;
  for (int i = 0; i < nodes + joins; ++i) paths.push_back(c.node(i).ns->path());
  pb::RouteWatch watch(paths);
  for (int i = 0; i < nodes; ++i) c.start(i, kAgentFlags);
  auto mesh = [&] {
    pb::check_interrupted();
    for (int i = 0; i < nodes; ++i)
      for (int j = 0; j < nodes; ++j)
        if (i != j && (c.subnet(j).empty() || !watch.added(i, c.subnet(j)))) return false;
    return true;
  };
  if (!AgentCluster::eventually(mesh, 60000))
    throw std::runtime_error(store + ": the first " + std::to_string(nodes) +
                             " nodes never meshed");
  std::vector<double> ms;
  for (int j = 0; j < joins; ++j) {
    pb::check_interrupted();
    int k = nodes + j;
    auto t0 = pb::RouteWatch::Clock::now();
    c.start(k, kAgentFlags);
    double worst = -1;
    AgentCluster::eventually(
        [&] {
          pb::check_interrupted();
          std::string s = c.subnet(k);
          if (s.empty()) return false;
          double w = 0;
          for (int i = 0; i < nodes; ++i) {
            auto t = watch.added(i, s);
            if (!t || *t < t0) return false;
            w = std::max(w, std::chrono::duration<double, std::milli>(*t - t0).count());
          }
          worst = w;
          return true;
        },
        10000);
    ms.push_back(worst < 0 ? 10000 : worst);
    fmt::print("  {} join {}: {} -> routes on all {} nodes after {:.0f} ms{}; {}\n", store, j + 1,
               c.node(k).name, nodes, ms.back(), worst < 0 ? " (TIMED OUT)" : "", pb::load());
    // Leave for good so the next join meets the same N nodes; wait until they forgot it.
    std::string s = c.subnet(k);
    c.kill_agent(k, SIGTERM);
    c.run(k, c.args(k, {"--leave"}));
    AgentCluster::eventually(
        [&] {
          for (int i = 0; i < nodes; ++i)
            if (watch.added(i, s)) return false;
          return true;
        },
        10000);
  }
  return ms;
}

// Runs `fn` on a thread inside `netns_path`: an etcd store is only reachable from the lab.
template <typename F>
void in_netns(const std::string& netns_path, F fn) {
  std::string err;
  std::thread t([&] {
    int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      err = "enter " + netns_path;
    } else {
      try {
        fn();
      } catch (const std::exception& e) {
        err = e.what();
      }
    }
    if (fd >= 0) ::close(fd);
  });
  t.join();
  if (!err.empty()) throw std::runtime_error(err);
}

long status_kb(int pid, const std::string& field) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

struct Rss {
  long rss_kb = -1, hwm_kb = -1;
  double programmed_s = 0;
};

Rss rss_with_peers(const std::string& store, int peers) {
  AgentCluster c("bcr", 1);
  start_cluster(c, store);
  in_netns(c.node(0).ns->path(), [&] {
    auto s = podnet::store::open_store(c.store_url());
    if (!s) throw std::runtime_error(s.error().message);
    auto lease = (*s)->grant_lease(std::chrono::seconds(600));
    if (!lease) throw std::runtime_error(lease.error().message);
    for (int i = 0; i < peers; ++i) {
      int idx = 100 + i;
      podnet::cluster::Node n{
          fmt::format("peer{:04}", i),
          *podnet::net::IpAddress::parse(fmt::format("10.2.{}.{}", i / 250, 1 + i % 250)),
          *podnet::net::Prefix::parse(fmt::format("172.{}.{}.0/24", 16 + idx / 256, idx % 256)),
          podnet::sys::Mac::from_seed(fmt::format("peer{}", i)).str(), 1};
      podnet::cluster::SubnetLease l{n.podCIDR, n.name, n.internalIP};
      auto a = (*s)->put(podnet::cluster::subnet_key(l.cidr), podnet::cluster::to_json(l).dump(),
                         *lease);
      auto b = (*s)->put(podnet::cluster::node_key(n.name), podnet::cluster::to_json(n).dump());
      if (!a || !b) throw std::runtime_error("store write: " + (a ? b.error() : a.error()).message);
    }
  });
  double t0 = pb::now_ms();
  c.start(0, {"--backend", "vxlan", "--cluster-cidr", "172.16.0.0/12", "--log-level", "info",
              "--lease-ttl", "30"});
  std::string ns = c.node(0).ns->name();
  auto count = [&] {
    pb::check_interrupted();
    std::string out;
    podnet::testing::sh(fmt::format("ip -n {} route show proto 80 | wc -l", ns), &out);
    return std::atoi(out.c_str());
  };
  if (!AgentCluster::eventually([&] { return count() >= peers; }, 60000))
    throw std::runtime_error(
        fmt::format("{}: only {} of {} routes programmed", store, count(), peers));
  Rss r;
  r.programmed_s = (pb::now_ms() - t0) / 1000;
  // Let the reconcile that programmed the last route finish, then read the peak as well.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  r.rss_kb = status_kb(c.node(0).pid, "VmRSS");
  r.hwm_kb = status_kb(c.node(0).pid, "VmHWM");
  return r;
}

int run(int nodes, int joins, int peers, const std::vector<std::string>& stores) {
  fmt::print("convergence: {} nodes, {} joins per store (vxlan); {}\n", nodes, joins, pb::load());
  std::vector<std::pair<std::string, std::vector<double>>> conv;
  for (const auto& s : stores) conv.emplace_back(s, converge(s, nodes, joins));
  std::vector<std::pair<std::string, Rss>> mem;
  for (const auto& s : stores) mem.emplace_back(s, rss_with_peers(s, peers));

  fmt::print("\n{:<44} {:>8} {:>8}\n", "join -> routes on all other nodes", "median", "max");
  for (const auto& [s, ms] : conv) {
    double m = pb::max_of(ms);
    fmt::print("{:<44} {:>5.0f} ms {:>5.0f} ms  max/target {:.2f} (target <= 1000 ms) {}\n",
               fmt::format("{} nodes, {}", nodes, s), pb::median(ms), m, m / 1000,
               m <= 1000 ? "met" : "MISSED");
  }
  fmt::print("\n{:<44} {:>8} {:>8}\n", fmt::format("podnetd with {} peers", peers), "VmHWM",
             "VmRSS");
  for (const auto& [s, r] : mem) {
    double mb = r.hwm_kb / 1024.0;
    fmt::print("{:<44} {:>5.1f} MB {:>5.1f} MB  peak/target {:.2f} (target <= 20 MB) {}\n",
               fmt::format("{} (all routes after {:.1f} s)", s, r.programmed_s), mb,
               r.rss_kb / 1024.0, mb / 20, mb <= 20 ? "met" : "MISSED");
  }
  fmt::print("{}\n", pb::load());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 10, joins = 5, peers = 1000;
  std::string store = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--nodes")
      nodes = std::atoi(argv[i + 1]);
    else if (a == "--joins")
      joins = std::atoi(argv[i + 1]);
    else if (a == "--peers")
      peers = std::atoi(argv[i + 1]);
    else if (a == "--store")
      store = argv[i + 1];
  }
  if (!podnet::testing::have_root()) {
    fmt::print(stderr, "bench_converge: needs root (creates network namespaces)\n");
    return 1;
  }
  std::vector<std::string> stores =
      store == "both" ? std::vector<std::string>{"sqlite", "etcd"} : std::vector{store};
  pb::catch_signals();
  try {
    return run(nodes, joins, peers, stores);
  } catch (const std::exception& e) {  // after the fixtures' destructors cleaned up
    fmt::print(stderr, "bench_converge: {}\n", e.what());
    return 1;
  }
}
