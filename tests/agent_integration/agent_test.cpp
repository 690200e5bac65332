// podnetd end to end: real agents in node namespaces on one switch, a sqlite store, the real
// podnet CNI plugin for pods, an "outside" host for masquerade. Lease TTL 3 s throughout.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "agent_cluster.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/mac.hpp"

namespace podnet::testing {
namespace {

bool has(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root: creates network namespaces";
  }
  void make(int n) { c_ = std::make_unique<AgentCluster>("ag", n); }
  void TearDown() override {
    if (c_ && (HasFailure() || std::getenv("PODNET_AGENT_LOGS")))
      for (int i = 0; i < n_; ++i) {
        std::string log = slurp(c_->node(i).log());
        if (log.size() > 6000) log = log.substr(log.size() - 6000);
        std::cerr << "---- " << c_->node(i).name << " log (tail)\n" << log;
      }
    c_.reset();
  }
  void start_all(int n, const std::vector<std::string>& extra) {
    n_ = n;
    make(n);
    for (int i = 0; i < n; ++i) c_->start(i, extra);
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(i).empty(); }))
          << c_->node(i).name << " wrote no conflist";
  }
  std::string routes(int i) {
    std::string out;
    sh(fmt::format("ip -n {} route show proto 80", c_->node(i).ns->name()), &out);
    return out;
  }
  bool routes_to_others(int i, const std::string& via_dev) {
    for (int j = 0; j < n_; ++j) {
      if (j == i || c_->node(j).pid < 0) continue;
      std::string r = routes(i);
      if (!has(r, c_->subnet(j)) || !has(r, via_dev)) return false;
    }
    return true;
  }
  // "<body> <status>" from the node's HTTP endpoint.
  std::string http(int i, const std::string& path) {
    std::string out;
    AgentCluster::in(c_->node(i).ns->name(),
                     "curl -s -m 2 -w ' %{http_code}' http://127.0.0.1:9402" + path, &out);
    return out;
  }
  // TCP connect from a pod; returns the source address the listener saw.
  std::string tcp_source(const std::string& from_pod, const std::string& listen_ns_path,
                         const std::string& ip, int port) {
    TcpPeerProbe probe(listen_ns_path, ip, port);
    AgentCluster::in(c_->pod_ns(from_pod), fmt::format("nc -z -w 3 {} {}", ip, port));
    return probe.wait_peer(4000);
  }

  std::unique_ptr<AgentCluster> c_;
  int n_ = 0;
};

TEST_F(AgentTest, VxlanPodsAcrossNodesMasqueradeMetricsAndLeave) {
  start_all(3, {"--backend", "vxlan", "--listen", "127.0.0.1:9402"});
  std::set<std::string> subnets;
  for (int i = 0; i < 3; ++i) subnets.insert(c_->subnet(i));
  EXPECT_EQ(subnets.size(), 3u) << "nodes share a subnet";
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        AgentCluster::eventually([&] { return routes_to_others(i, "dev podnet.1 onlink"); }, 5000))
        << c_->node(i).name << ": " << routes(i);
    auto cl = c_->conflist(i);
    EXPECT_EQ(cl["plugins"][0]["mtu"], 1500);  // the pod interface: the underlay's
    EXPECT_EQ(cl["plugins"][0]["ipam"]["routes"][0]["mtu"], 1450);  // off the node: minus VXLAN
    EXPECT_EQ(cl["plugins"][0]["ipam"]["dataDir"], c_->node(i).dir + "/ipam");
  }
  EXPECT_TRUE(AgentCluster::eventually([&] { return http(0, "/readyz") == "ok\n 200"; }, 5000))
      << http(0, "/readyz");
  EXPECT_EQ(http(0, "/healthz"), "ok\n 200");
  EXPECT_TRUE(has(http(0, "/nope"), " 404"));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(http(0, "/metrics"), "podnet_peers{node=\"lxb001\"} 2\n"); }, 5000));
  std::string m = http(0, "/metrics");
  EXPECT_TRUE(has(m, "podnet_lease_held{node=\"lxb001\"} 1\n")) << m;
  EXPECT_TRUE(has(m, fmt::format("subnet=\"{}\"", c_->subnet(0)))) << m;
  EXPECT_TRUE(has(m, "podnet_programmed_fdb_entries{node=\"lxb001\"} 2\n")) << m;
  EXPECT_TRUE(has(m, "podnet_store_up{node=\"lxb001\"} 1\n")) << m;

  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2"), ip3 = c_->add_pod(2, "p3");
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p3"), "ping -c1 -W2 " + ip1), 0);
  // Pod to pod keeps the pod's address; pod to outside leaves from the node's.
  EXPECT_EQ(tcp_source("p1", "/var/run/netns/" + c_->pod_ns("p2"), ip2, 7001), ip1);
  EXPECT_EQ(tcp_source("p1", c_->ext().path(), "203.0.113.1", 7002), "10.1.1.11");

  // Node 3 leaves: the others drop its subnet; its own routes, VTEP and conflist go.
  std::string s3 = c_->subnet(2);
  std::string err;
  ASSERT_EQ(c_->run(2, c_->args(2, {"--leave"}), &err), 0) << err;
  c_->kill_agent(2, SIGKILL);  // already stopped by --leave; reaps it
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return !has(routes(i), s3); }, 5000)) << routes(i);
  EXPECT_EQ(routes(2), "");
  std::string links;
  sh(fmt::format("ip -n {} link show", c_->node(2).ns->name()), &links);
  EXPECT_FALSE(has(links, "podnet.1")) << links;
  EXPECT_FALSE(std::filesystem::exists(c_->node(2).conflist()));
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
}

// The full pass every --resync-period re-asserts the masquerade table as it repairs routes: a
// rule deleted by hand, or the whole ruleset flushed, comes back, and pods leave from the node's
// address again. The node entry deleted from the store comes back at once (the watch sees it).
TEST_F(AgentTest, RepairsMasqueradeAndNodeEntryDeletedByHand) {
  start_all(1, {"--backend", "host-gw", "--listen", "127.0.0.1:9402", "--resync-period", "2"});
  const std::string ns = c_->node(0).ns->name();
  auto table = [&] {
    std::string out;
    sh(fmt::format("ip netns exec {} nft list table ip podnet", ns), &out);
    return out;
  };
  const std::string rule = fmt::format("ip saddr {} masquerade", c_->subnet(0));
  ASSERT_TRUE(AgentCluster::eventually([&] { return has(table(), rule); }, 5000)) << table();
  c_->add_pod(0, "p1");
  EXPECT_EQ(tcp_source("p1", c_->ext().path(), "203.0.113.1", 7201), "10.1.1.11");

  ASSERT_EQ(sh(fmt::format("ip netns exec {} nft flush chain ip podnet postrouting", ns)), 0);
  ASSERT_FALSE(has(table(), rule)) << table();
  EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(), rule); }, 10000)) << table();

  ASSERT_EQ(sh(fmt::format("ip netns exec {} nft flush ruleset", ns)), 0);
  ASSERT_FALSE(has(table(), rule)) << table();
  EXPECT_TRUE(AgentCluster::eventually([&] { return has(table(), rule); }, 10000)) << table();
  EXPECT_EQ(tcp_source("p1", c_->ext().path(), "203.0.113.1", 7202), "10.1.1.11");
  // Repairs are quiet: "masquerade applied" is logged once, when the table was first made.
  std::string log = slurp(c_->node(0).log());
  size_t applied = 0;
  for (auto p = log.find("masquerade applied"); p != std::string::npos;
       p = log.find("masquerade applied", p + 1))
    ++applied;
  EXPECT_EQ(applied, 1u) << log;

  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->del(cluster::node_key("lxb001")));
  EXPECT_TRUE(AgentCluster::eventually([&] {
    auto n = (*store)->get(cluster::node_key("lxb001"));
    return n && *n && has((*n)->value, c_->subnet(0));
  }));
  EXPECT_TRUE(has(slurp(c_->node(0).log()), "own node entry /podnet/nodes/lxb001 was deleted"));
}

TEST_F(AgentTest, KillRestartKeepsSubnetAndTcpConnection) {
  start_all(2, {"--backend", "vxlan", "--listen", "127.0.0.1:9402"});
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(AgentCluster::eventually([&] { return routes_to_others(i, "podnet.1"); }, 5000));
  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2");
  std::string recv = c_->dir() + "/recv.txt";
  c_->background(c_->pod_ns("p2"), fmt::format("nc -l {} 7003 > {}", ip2, recv));
  ASSERT_TRUE(AgentCluster::eventually([&] {
    std::string out;
    AgentCluster::in(c_->pod_ns("p2"), "ss -ltn", &out);
    return has(out, ":7003");
  }));
  int sender = c_->background(
      c_->pod_ns("p1"), fmt::format("while true; do echo x; sleep 0.1; done | nc {} 7003", ip2));
  auto size = [&] {
    struct stat st {};
    return ::stat(recv.c_str(), &st) == 0 ? st.st_size : 0;
  };
  ASSERT_TRUE(AgentCluster::eventually([&] { return size() > 4; }, 5000));

  std::string before = c_->subnet(0);
  c_->kill_agent(0, SIGKILL);
  c_->start(0, {"--backend", "vxlan", "--listen", "127.0.0.1:9402"});
  EXPECT_TRUE(AgentCluster::eventually([&] { return http(0, "/readyz") == "ok\n 200"; }, 8000));
  EXPECT_EQ(c_->subnet(0), before);
  EXPECT_EQ(slurp(c_->node(0).dir + "/state/subnet"), before + "\n");
  auto at_restart = size();
  EXPECT_TRUE(AgentCluster::eventually([&] { return size() > at_restart + 20; }, 5000));
  EXPECT_EQ(::kill(sender, 0), 0) << "the TCP sender died";
  EXPECT_TRUE(routes_to_others(1, "podnet.1")) << routes(1);
  // SIGTERM: exit 0 and keep routes and conflist.
  ::kill(c_->node(0).pid, SIGTERM);
  int st = 0;
  ASSERT_TRUE(
      AgentCluster::eventually([&] { return ::waitpid(c_->node(0).pid, &st, WNOHANG) > 0; }));
  c_->node(0).pid = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_TRUE(has(routes(0), c_->subnet(1)));
  EXPECT_TRUE(std::filesystem::exists(c_->node(0).conflist()));
}

TEST_F(AgentTest, HostGwRefusesOffLinkPeerExpiryAndLeaseLoss) {
  // BIG TCP for pods rides along: host-gw carries it.
  start_all(3,
            {"--backend", "host-gw", "--listen", "127.0.0.1:9402", "--pod-gso-max-size", "262144"});
  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  cluster::Node far{"far", *net::IpAddress::parse("10.2.2.2"),
                    *net::Prefix::parse("192.168.200.0/24"), "", 1};
  ASSERT_TRUE((*store)->put(cluster::node_key("far"), cluster::to_json(far).dump()));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return routes_to_others(i, "dev eth0"); }, 5000))
        << routes(i);
  EXPECT_TRUE(has(routes(0), fmt::format("{} via 10.1.1.12 dev eth0", c_->subnet(1)))) << routes(0);
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(slurp(c_->node(0).log()), "refusing peer far 10.2.2.2 is not on-link"); },
      5000));
  EXPECT_FALSE(has(routes(0), "192.168.200.0"));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(http(0, "/metrics"), "podnet_peers_refused{node=\"lxb001\"} 1\n"); }));
  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2");
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
  EXPECT_EQ(c_->conflist(0)["plugins"][0].value("gsoMaxSize", 0), 262144);
  std::string eth0;
  sh(fmt::format("ip -n {} -d -j link show eth0", c_->pod_ns("p1")), &eth0);
  auto link = nlohmann::json::parse(eth0, nullptr, false);
  ASSERT_TRUE(link.is_array() && !link.empty()) << eth0;
  EXPECT_EQ(link[0].value("gso_max_size", 0), 262144) << eth0;

  // The lease of node 1 is revoked behind its back: it notices and takes the same subnet again.
  std::string s1 = c_->subnet(0);
  auto lease = (*store)->get(cluster::subnet_key(*net::Prefix::parse(s1)));
  ASSERT_TRUE(lease && *lease);
  ASSERT_TRUE((*store)->revoke((*lease)->lease));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(slurp(c_->node(0).log()), "lease lost, re-acquired " + s1); }, 8000));
  EXPECT_TRUE(AgentCluster::eventually([&] {
    auto n = (*store)->get(cluster::node_key("lxb001"));
    return n && *n;
  }));
  EXPECT_TRUE(AgentCluster::eventually([&] { return routes_to_others(1, "dev eth0"); }, 5000));

  // Node 3 dies for good: its lease expires and the others forget it.
  std::string s3 = c_->subnet(2);
  c_->kill_agent(2, SIGKILL);
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return !has(routes(i), s3); }, 10000)) << routes(i);
}

// The same cross-node path with the etcd backend (etcd in the switch netns, as in the lab) and
// pods wired in ptp mode.
// flannel's DirectRouting: peers on the node's own underlay subnet get direct routes (no
// encapsulation, no FDB entry); a peer elsewhere still goes through the VTEP.
TEST_F(AgentTest, VxlanDirectRoutingRoutesOnLinkPeersDirectly) {
  start_all(2, {"--backend", "vxlan", "--direct-routing", "--listen", "127.0.0.1:9402"});
  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  auto cfg = (*store)->get(cluster::config_key);
  ASSERT_TRUE(cfg && *cfg);
  EXPECT_TRUE(has((*cfg)->value, "\"directRouting\":true")) << (*cfg)->value;
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return routes_to_others(i, "dev eth0"); }, 5000))
        << routes(i);
  EXPECT_TRUE(has(routes(0), fmt::format("{} via 10.1.1.12 dev eth0", c_->subnet(1)))) << routes(0);
  cluster::Node far{"far", *net::IpAddress::parse("10.2.2.2"),
                    *net::Prefix::parse("192.168.200.0/24"), "02:00:00:00:02:02", 1};
  ASSERT_TRUE((*store)->put(cluster::node_key("far"), cluster::to_json(far).dump()));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(routes(0), "192.168.200.0/24 via 192.168.200.0 dev podnet.1 onlink"); },
      5000))
      << routes(0);
  std::string fdb;
  sh(fmt::format("bridge -n {} fdb show dev podnet.1", c_->node(0).ns->name()), &fdb);
  EXPECT_TRUE(has(fdb, "02:00:00:00:02:02 dst 10.2.2.2")) << fdb;
  EXPECT_FALSE(has(fdb, "dst 10.1.1.12")) << fdb;
  EXPECT_TRUE(AgentCluster::eventually([&] {
    auto m = http(0, "/metrics");
    return has(m, "podnet_peers{node=\"lxb001\"} 2\n") &&
           has(m, "podnet_peers_direct{node=\"lxb001\"} 1\n");
  })) << http(0, "/metrics");
  // Pods talk across the direct route with their own addresses and the underlay's MTU.
  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2");
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
  EXPECT_EQ(tcp_source("p2", "/var/run/netns/" + c_->pod_ns("p1"), ip1, 7101), ip2);
}

// The underlay changes under a running podnetd: its MTU, then its address. The VTEP, the
// conflist (for new pods), the node entry and the peers' FDB entries follow within seconds.
TEST_F(AgentTest, FollowsUnderlayMtuAndAddressChanges) {
  start_all(2, {"--backend", "vxlan", "--listen", "127.0.0.1:9402"});
  const std::string ns0 = c_->node(0).ns->name();
  ASSERT_EQ(sh(fmt::format("ip -n {} link set eth0 mtu 1400", ns0)), 0);
  auto vtep_mtu = [&] {
    std::string out;
    sh(fmt::format("ip -n {} -j link show podnet.1", ns0), &out);
    auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0].value("mtu", 0) : 0;
  };
  EXPECT_TRUE(AgentCluster::eventually([&] { return vtep_mtu() == 1350; }, 10000)) << vtep_mtu();
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return c_->conflist(0)["plugins"][0].value("mtu", 0) == 1400; }, 5000))
      << c_->conflist(0).dump();
  EXPECT_EQ(c_->conflist(0)["plugins"][0]["ipam"]["routes"][0].value("mtu", 0), 1350);
  EXPECT_TRUE(has(slurp(c_->node(0).log()), "underlay eth0 changed: MTU 1500 -> 1400"));
  EXPECT_TRUE(has(http(0, "/metrics"), "podnet_underlay_mtu{node=\"lxb001\"} 1400\n"));

  // The node's address moves: the node entry and the other node's FDB entry follow, and pods
  // on the two nodes still reach each other.
  // (deleting the old primary first: it would take a secondary of its subnet with it)
  ASSERT_EQ(sh(fmt::format("ip -n {0} addr del 10.1.1.11/24 dev eth0 && "
                           "ip -n {0} addr add 10.1.1.21/24 dev eth0",
                           ns0)),
            0);
  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        auto kv = (*store)->get(cluster::node_key("lxb001"));
        return kv && *kv && has((*kv)->value, "10.1.1.21");
      },
      10000));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        std::string fdb;
        sh(fmt::format("bridge -n {} fdb show dev podnet.1", c_->node(1).ns->name()), &fdb);
        return has(fdb, "dst 10.1.1.21") && !has(fdb, "dst 10.1.1.11");
      },
      10000));
  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2");
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p2"), "ping -c1 -W2 " + ip1), 0);

  // The interface itself is re-created (the kernel removes the VTEP bound to the old one):
  // podnetd sees the new ifindex and builds the VTEP and its routes on it again.
  ASSERT_EQ(sh(fmt::format("ip -n {0} link del eth0 && "
                           "ip -n {1} link add v1 type veth peer name eth0 netns {0} && "
                           "ip -n {1} link set v1 master br0 up && "
                           "ip -n {0} addr add 10.1.1.21/24 dev eth0 && ip -n {0} link set eth0 up",
                           ns0, c_->sw().name())),
            0);
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return has(slurp(c_->node(0).log()), "(re-created)"); }, 10000));
  EXPECT_TRUE(AgentCluster::eventually(
      [&] { return AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W1 " + ip2) == 0; }, 10000));
}

TEST_F(AgentTest, EtcdStorePtpPodsAcrossNodes) {
  n_ = 2;
  make(2);
  if (!c_->start_etcd()) GTEST_SKIP() << "etcd not installed or not healthy";
  for (int i = 0; i < 2; ++i)
    c_->start(i, {"--backend", "vxlan", "--mode", "ptp", "--listen", "127.0.0.1:9402"});
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(i).empty(); }, 10000))
        << c_->node(i).name << " wrote no conflist";
  EXPECT_NE(c_->subnet(0), c_->subnet(1));
  EXPECT_EQ(c_->conflist(0)["plugins"][0]["mode"], "ptp");
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(AgentCluster::eventually([&] { return routes_to_others(i, "podnet.1"); }, 5000))
        << routes(i);
  std::string ip1 = c_->add_pod(0, "p1"), ip2 = c_->add_pod(1, "p2");
  EXPECT_EQ(AgentCluster::in(c_->pod_ns("p1"), "ping -c1 -W2 " + ip2), 0);
  EXPECT_EQ(tcp_source("p2", "/var/run/netns/" + c_->pod_ns("p1"), ip1, 7004), ip2);
  EXPECT_TRUE(AgentCluster::eventually([&] { return http(1, "/readyz") == "ok\n 200"; }, 5000));
  // Leaving through etcd: the other node forgets the subnet.
  std::string s2 = c_->subnet(1);
  std::string err;
  ASSERT_EQ(c_->run(1, c_->args(1, {"--leave"}), &err), 0) << err;
  c_->kill_agent(1, SIGKILL);
  EXPECT_TRUE(AgentCluster::eventually([&] { return !has(routes(0), s2); }, 5000)) << routes(0);
}

// A stopped agent falls behind the store's compaction: on waking it lists again and still
// converges (a peer deleted meanwhile loses its route). Also: flags that disagree with the
// stored config only warn.
TEST_F(AgentTest, CompactionRelistAndConfigConflictWarning) {
  n_ = 2;
  make(2);
  c_->sqlite_query = "?history=5";
  c_->start(0, {"--backend", "vxlan"});
  ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(0).empty(); }));
  c_->start(1, {"--backend", "host-gw", "--vni", "5"});
  ASSERT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(1).empty(); }));
  std::string log1 = slurp(c_->node(1).log());
  EXPECT_TRUE(has(log1, "--backend host-gw differs from the store's vxlan; using the store's"))
      << log1;
  EXPECT_TRUE(has(log1, "--vni 5 differs from the store's 1; using the store's"));
  EXPECT_TRUE(AgentCluster::eventually([&] { return routes_to_others(0, "podnet.1"); }));

  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  cluster::Node ghost{"ghost", *net::IpAddress::parse("10.1.1.99"),
                      *net::Prefix::parse("192.168.77.0/24"), "0a:00:00:00:77:01", 1};
  ASSERT_TRUE((*store)->put(cluster::node_key("ghost"), cluster::to_json(ghost).dump()));
  ASSERT_TRUE(AgentCluster::eventually([&] { return has(routes(0), "192.168.77.0/24"); }));

  ::kill(c_->node(0).pid, SIGSTOP);
  ASSERT_TRUE((*store)->del(cluster::node_key("ghost")));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*store)->put("/podnet/nodes/zz-noise", "{}"));
  ASSERT_TRUE((*store)->del("/podnet/nodes/zz-noise"));
  ::kill(c_->node(0).pid, SIGCONT);
  EXPECT_TRUE(AgentCluster::eventually([&] { return !has(routes(0), "192.168.77.0/24"); }, 5000))
      << routes(0);
  EXPECT_TRUE(has(slurp(c_->node(0).log()), "fell behind compaction"));
  EXPECT_TRUE(routes_to_others(0, "podnet.1")) << routes(0);
}

// 1000 peers in the store: one agent programs them all and stays small.
TEST_F(AgentTest, ThousandPeersSmallRss) {
  n_ = 1;
  make(1);
  auto store = store::open_store(c_->store_url());
  ASSERT_TRUE(store) << store.error().message;
  const int peers = 1000;
  for (int i = 0; i < peers; ++i) {
    int idx = 100 + i;
    cluster::Node n{fmt::format("peer{:04}", i),
                    *net::IpAddress::parse(fmt::format("10.2.{}.{}", i / 250, 1 + i % 250)),
                    *net::Prefix::parse(fmt::format("172.{}.{}.0/24", 16 + idx / 256, idx % 256)),
                    sys::Mac::from_seed(fmt::format("peer{}", i)).str(), 1};
    ASSERT_TRUE((*store)->put(cluster::node_key(n.name), cluster::to_json(n).dump()));
  }
  c_->start(
      0, {"--backend", "vxlan", "--cluster-cidr", "172.16.0.0/12", "--listen", "127.0.0.1:9402"});
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        return has(http(0, "/metrics"), fmt::format("podnet_peers{{node=\"lxb001\"}} {}\n", peers));
      },
      30000))
      << http(0, "/metrics");
  std::string r = routes(0);
  EXPECT_EQ(std::count(r.begin(), r.end(), '\n'), peers);
  std::string status = slurp(fmt::format("/proc/{}/status", c_->node(0).pid));
  auto pos = status.find("VmRSS:");
  ASSERT_NE(pos, std::string::npos);
  long rss_kb = std::stol(status.substr(pos + 6));
  std::cerr << "podnetd RSS with " << peers << " peers: " << rss_kb << " kB\n";
  std::string m = http(0, "/metrics");
  auto d = m.find("podnet_reconcile_duration_seconds{");
  if (d != std::string::npos) std::cerr << m.substr(d, m.find('\n', d) - d) << "\n";
  EXPECT_LE(rss_kb, 20 * 1024);
}

// No store at start: the agent keeps trying, answers /healthz, is not ready, and SIGTERM ends it.
// The underlay interface appears (and gets its address) after podnetd started: it waits,
// not ready, then starts as usual.
TEST_F(AgentTest, WaitsForTheUnderlayInterface) {
  n_ = 1;
  make(1);
  const std::string ns = c_->node(0).ns->name();
  c_->start(0, {"--iface", "ul7", "--listen", "127.0.0.1:9402"});
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        return has(slurp(c_->node(0).log()), "waiting for the underlay: underlay interface ul7");
      },
      5000));
  EXPECT_TRUE(AgentCluster::eventually([&] { return http(0, "/healthz") == "ok\n 200"; }, 5000));
  EXPECT_EQ(c_->node(0).pid > 0 && ::kill(c_->node(0).pid, 0) == 0, true) << "exited instead";
  ASSERT_EQ(sh(fmt::format("ip -n {0} link add ul7 type veth peer name ul7p && "
                           "ip -n {0} link set ul7 up && ip -n {0} link set ul7p up",
                           ns)),
            0);
  // podnetd has seen the link (it logs the new reason for waiting) and still waits for it.
  EXPECT_TRUE(AgentCluster::eventually(
      [&] {
        return has(slurp(c_->node(0).log()),
                   "waiting for the underlay: underlay interface ul7 has no IPv4 address");
      },
      10000))
      << slurp(c_->node(0).log());
  EXPECT_TRUE(c_->subnet(0).empty()) << "no address yet: still waiting";
  ASSERT_EQ(sh(fmt::format("ip -n {} addr add 10.1.7.1/24 dev ul7", ns)), 0);
  EXPECT_TRUE(AgentCluster::eventually([&] { return !c_->subnet(0).empty(); }, 10000));
  EXPECT_TRUE(has(slurp(c_->node(0).log()), "ip 10.1.7.1 on ul7"));
  EXPECT_TRUE(AgentCluster::eventually([&] { return has(http(0, "/readyz"), " 200"); }, 5000));
}

TEST_F(AgentTest, StoreDownAtStartNotReadyAndSigterm) {
  n_ = 1;
  make(1);
  c_->start(0, {"--store", "etcd://127.0.0.1:1?timeout_ms=200", "--listen", "127.0.0.1:9402"});
  EXPECT_TRUE(AgentCluster::eventually([&] { return http(0, "/healthz") == "ok\n 200"; }, 5000));
  EXPECT_EQ(http(0, "/readyz"), "no subnet lease\n 503");
  EXPECT_TRUE(has(http(0, "/metrics"), "podnet_store_up{node=\"lxb001\"} 0\n"));
  ::kill(c_->node(0).pid, SIGTERM);
  int st = 0;
  ASSERT_TRUE(
      AgentCluster::eventually([&] { return ::waitpid(c_->node(0).pid, &st, WNOHANG) > 0; }));
  c_->node(0).pid = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST_F(AgentTest, BadFlagsAndConfigExitTwoWithOneLine) {
  n_ = 1;
  make(1);
  std::string err;
  EXPECT_EQ(c_->run(0, {"--node", "lxb001"}, &err), 2);
  EXPECT_EQ(err, "podnetd: --store: required (sqlite:///path or etcd://host:port)\n");
  EXPECT_EQ(c_->run(0, c_->args(0, {"--backend", "geneve"}), &err), 2);
  EXPECT_EQ(err, "podnetd: --backend: \"geneve\" is not vxlan or host-gw\n");
  // Valid syntax, impossible config: service CIDR inside the cluster CIDR.
  EXPECT_EQ(c_->run(0, c_->args(0, {"--cluster-cidr", "10.0.0.0/8", "--log-level", "error"}), &err),
            2);
  EXPECT_TRUE(has(err, "--service-cidr: 10.96.0.0/12 overlaps clusterCIDR 10.0.0.0/8")) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(c_->run(0, c_->args(0, {"--ip", "10.9.9.9", "--log-level", "error"}), &err), 2);
  EXPECT_TRUE(has(err, "--ip: 10.9.9.9 is not an address of eth0")) << err;
  // BIG TCP asked for on a vxlan cluster (the default backend the config is created with).
  EXPECT_EQ(c_->run(0, c_->args(0, {"--pod-gso-max-size", "262144", "--log-level", "error"}), &err),
            2);
  EXPECT_TRUE(has(err, "--pod-gso-max-size: 262144 needs the host-gw backend")) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

}  // namespace
}  // namespace podnet::testing
