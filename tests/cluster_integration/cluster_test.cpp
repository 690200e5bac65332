// The pod network across nodes, end to end through the lab as a user builds it (podnetctl lab
// up, a deployment, exec): every pod reaches every other pod across nodes by ICMP and TCP and
// the receiver sees the pod's own address; a pod reaches the outside host, which sees the
// node's address; a 1400-byte DF ping crosses the overlay and bulk TCP has no retransmit storm;
// the seed's seven nodes each get their own /24; etcd stopped for 30 s does not stop traffic
// and the agents catch up afterwards. Both stores, both backends.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lab_cli.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

using namespace std::chrono_literals;

struct PodRow {
  std::string name, ip, node;
};

class ClusterTest : public LabTest {
 protected:
  // get nodes: name -> (IP, PODS). Rows are told by their shape, not their place: stderr (an
  // etcd client's plain-HTTP warning) may come first.
  std::map<std::string, std::pair<std::string, std::string>> nodes() const {
    std::map<std::string, std::pair<std::string, std::string>> out;
    auto rows = table("get nodes");
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].size() == 3 && rows[i][0] != "NAME") out[rows[i][0]] = {rows[i][1], rows[i][2]};
    return out;
  }
  // get pods -o wide: NAME READY STATUS RESTARTS AGE IP NODE
  std::vector<PodRow> pods() const {
    std::vector<PodRow> out;
    auto rows = table("get pods -o wide");
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].size() == 7 && rows[i][0] != "NAME")
        out.push_back({rows[i][0], rows[i][5], rows[i][6]});
    return out;
  }
  // Routes podnetd programmed on a node (proto 80), one destination per entry.
  std::set<std::string> podnet_routes(const std::string& node) const {
    std::set<std::string> out;
    auto r = ctl(fmt::format("exec --node {} -- ip -4 route show proto 80", node));
    for (const auto& l : lines_of(r.out))
      if (auto w = words_of(l); !w.empty()) out.insert(w[0]);
    return out;
  }
  // TCP from a pod to ip:port while a probe listens in `listener_netns`: the address the
  // listener saw ("" when nothing arrived).
  std::string tcp_source(const std::string& pod, const std::string& listener_netns,
                         const std::string& ip, int port) const {
    TcpPeerProbe probe(listener_netns, ip, port);
    ctl(fmt::format("exec {} -- nc -z -w 3 {} {}", pod, ip, port));
    return probe.wait_peer(3000);
  }
  // Counter from /proc/net/snmp (e.g. "Tcp", "RetransSegs") as a pod's netns sees it.
  long snmp(const std::string& pod, const std::string& group, const std::string& field) const {
    auto lines = lines_of(ctl(fmt::format("exec {} -- cat /proc/net/snmp", pod)).out);
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      auto names = words_of(lines[i]), values = words_of(lines[i + 1]);
      if (names.empty() || names[0] != group + ":" || values.size() != names.size()) continue;
      for (size_t k = 1; k < names.size(); ++k)
        if (names[k] == field) return std::stol(values[k]);
    }
    return -1;
  }
  // Brings up a lab and a deployment of `replicas` pods, one node each (the controller
  // spreads them).
  void up(int nodes_n, const std::string& store, const std::string& backend, int replicas) {
    auto r = ctl(fmt::format("lab up --nodes {} --store {} --backend {}", nodes_n, store, backend));
    ASSERT_EQ(r.rc, 0) << r.out;
    if (replicas == 0) return;
    auto d = ctl(fmt::format("create deployment web --replicas {}", replicas));
    ASSERT_EQ(d.rc, 0) << d.out;
    auto p = pods();
    ASSERT_EQ(p.size(), size_t(replicas)) << ctl("get pods -o wide").out;
    std::set<std::string> on;
    for (const auto& pod : p) on.insert(pod.node);
    ASSERT_EQ(on.size(), size_t(std::min(replicas, nodes_n))) << "pods not spread";
  }
};

// ---- every pod to every pod, and out: both stores x both backends ----

class Mesh : public ClusterTest,
             public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(Mesh, PodsReachEachOtherWithTheirOwnAddressAndLeaveWithTheNodes) {
  const auto& [store, backend] = GetParam();
  up(3, store, backend, 3);
  if (HasFatalFailure()) return;
  const auto all_nodes = nodes();
  const auto all_pods = pods();
  int port = 9100;
  for (const auto& a : all_pods) {
    for (const auto& b : all_pods) {
      if (a.name == b.name) continue;
      ASSERT_NE(a.node, b.node);
      auto ping = ctl(fmt::format("exec {} -- ping -c1 -W2 {}", a.name, b.ip));
      EXPECT_EQ(ping.rc, 0) << a.name << " -> " << b.ip << ": " << ping.out;
      EXPECT_EQ(tcp_source(a.name, ns_path("pod-" + b.name), b.ip, ++port), a.ip)
          << a.name << " -> " << b.name << ": the receiver must see the pod's own address";
    }
    // To the outside host (203.0.113.1, not routed back to pods): masqueraded to the node.
    EXPECT_EQ(tcp_source(a.name, ns_path("ext"), "203.0.113.1", ++port), all_nodes.at(a.node).first)
        << a.name << " -> outside must leave with " << a.node << "'s address";
  }
}

INSTANTIATE_TEST_SUITE_P(StoresAndBackends, Mesh,
                         ::testing::Values(std::pair<std::string, std::string>{"sqlite", "vxlan"},
                                           std::pair<std::string, std::string>{"sqlite", "host-gw"},
                                           std::pair<std::string, std::string>{"etcd", "vxlan"},
                                           std::pair<std::string, std::string>{"etcd", "host-gw"}),
                         [](const auto& info) {
                           auto name = info.param.first + "_" + info.param.second;
                           std::erase(name, '-');
                           return name;
                         });

// ---- MTU ----

TEST_F(ClusterTest, OverlayCarries1400ByteDfPingsAndBulkTcpWithoutRetransmitStorm) {
  up(2, "sqlite", "vxlan", 2);
  if (HasFatalFailure()) return;
  const auto p = pods();
  const auto& a = p[0];
  const auto& b = p[1];
  // 1400 bytes on the wire in the pod: 1372 payload + 8 ICMP + 20 IP, don't fragment.
  auto df = ctl(fmt::format("exec {} -- ping -M do -s 1372 -c 2 -W 2 {}", a.name, b.ip));
  EXPECT_EQ(df.rc, 0) << df.out;
  // The pod MTU is the underlay's minus VXLAN's 50: a full 1450-byte packet crosses too...
  auto full = ctl(fmt::format("exec {} -- ping -M do -s 1422 -c 1 -W 2 {}", a.name, b.ip));
  EXPECT_EQ(full.rc, 0) << full.out;
  // ...and one byte more is refused at the pod (never silently dropped in the tunnel).
  auto over = ctl(fmt::format("exec {} -- ping -M do -s 1423 -c 1 -W 2 {}", a.name, b.ip));
  EXPECT_NE(over.rc, 0) << over.out;
  // On its own node a pod keeps the underlay's 1500: its gateway (x.y.z.1) takes a full frame.
  const std::string gw = a.ip.substr(0, a.ip.rfind('.')) + ".1";
  auto local = ctl(fmt::format("exec {} -- ping -M do -s 1472 -c 1 -W 2 {}", a.name, gw));
  EXPECT_EQ(local.rc, 0) << local.out;

  // Bulk TCP, 64 MiB pod to pod across nodes: retransmitted segments stay a tiny fraction.
  // Both ends on one CPU: over veth, data sent from two CPUs (the sender's and the one running
  // the ACK softirq) is reordered between their backlogs, and the spurious retransmits that
  // causes (up to ~1% here, with other tests busy on the other CPU) are not what this checks.
  // A black-holed MTU shows either way: thousands of retransmits or a stalled transfer.
  const long out0 = snmp(a.name, "Tcp", "OutSegs"), re0 = snmp(a.name, "Tcp", "RetransSegs");
  ASSERT_GE(out0, 0);
  const std::string sink =
      fmt::format("ip netns exec {} taskset -c 0 timeout 60 nc -d -l -p 9200 > /dev/null",
                  lab_ + "-pod-" + b.name);
  std::thread receiver([&] { sh(sink); });
  // The sender starts once the receiver listens (a refused connect would fail the transfer).
  bool listening = false;
  for (auto end = std::chrono::steady_clock::now() + 30s;
       !listening && std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(50ms)) {
    std::string ss;
    sh(fmt::format("ip netns exec {}-pod-{} ss -Hltn 'sport = :9200'", lab_, b.name), &ss);
    listening = !ss.empty();
  }
  EXPECT_TRUE(listening) << "nc never listened on 9200 in " << b.name;
  auto send = ctl(fmt::format(
      "exec {} -- taskset -c 0 sh -c 'head -c 67108864 /dev/zero | nc -N -w 10 {} 9200'", a.name,
      b.ip));
  receiver.join();
  EXPECT_EQ(send.rc, 0) << send.out;
  const long sent = snmp(a.name, "Tcp", "OutSegs") - out0;
  const long retrans = snmp(a.name, "Tcp", "RetransSegs") - re0;
  EXPECT_GT(sent, 1000);
  EXPECT_LE(retrans * 100, sent) << retrans << " of " << sent << " segments retransmitted";
}

// ---- the seed's seven nodes ----

TEST_F(ClusterTest, SeedsSevenNodesEachGetADistinctSubnet) {
  up(7, "sqlite", "vxlan", 0);
  if (HasFatalFailure()) return;
  const std::map<std::string, std::string> seed = {{"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"},
                                                   {"lxb003", "10.1.1.17"}, {"lxb004", "10.1.1.18"},
                                                   {"lxcc01", "10.1.1.9"},  {"lxcc02", "10.1.1.10"},
                                                   {"lxcc03", "10.1.1.11"}};
  const auto got = nodes();
  ASSERT_EQ(got.size(), seed.size()) << ctl("get nodes").out;
  const auto cluster = *net::Prefix::parse("192.168.0.0/16");
  std::set<std::string> subnets;
  for (const auto& [name, ip] : seed) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_EQ(got.at(name).first, ip);
    auto cidr = net::Prefix::parse(got.at(name).second);
    ASSERT_TRUE(cidr) << got.at(name).second;
    EXPECT_EQ(cidr->length(), 24);
    EXPECT_TRUE(cluster.contains(*cidr));
    subnets.insert(got.at(name).second);
  }
  EXPECT_EQ(subnets.size(), seed.size()) << "agents started together shared a subnet";
  // Every node routes to the six others' subnets, and to nothing else.
  for (const auto& [name, own] : got) {
    std::set<std::string> want;
    for (const auto& [other, v] : got)
      if (other != name) want.insert(v.second);
    std::set<std::string> have;
    for (int i = 0; i < 50 && (have = podnet_routes(name)) != want; ++i)
      std::this_thread::sleep_for(100ms);
    EXPECT_EQ(have, want) << name;
  }
}

// ---- etcd outage ----

TEST_F(ClusterTest, EtcdDownFor30sTrafficFlowsAndAgentsCatchUp) {
  up(3, "etcd", "vxlan", 3);
  if (HasFatalFailure()) return;
  const auto before = nodes();
  const auto p = pods();
  auto j = lab_json();
  int etcd_pid = 0;
  for (const auto& proc : j["processes"])
    if (proc["role"] == "etcd") etcd_pid = proc["pid"].get<int>();
  ASSERT_GT(etcd_pid, 0) << j.dump();
  // Its command line, to start it again with the same data.
  std::ifstream f(fmt::format("/proc/{}/cmdline", etcd_pid));
  std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string cmd;
  for (size_t i = 0, k; i < raw.size(); i = k + 1) {
    k = raw.find('\0', i);
    if (k == std::string::npos) k = raw.size();
    cmd += "'" + raw.substr(i, k - i) + "' ";
  }
  // Each podnetd's log from here on: its first failed lease renewal shows it has noticed the
  // outage (renewals come every TTL/3, 10 s in the lab).
  std::map<std::string, std::pair<std::string, std::uintmax_t>> agent_logs;  // node -> (log, size)
  for (const auto& proc : j["processes"])
    if (proc["role"] == "podnetd") {
      const std::string log = proc["log"].get<std::string>();
      agent_logs[proc["node"].get<std::string>()] = {log, std::filesystem::file_size(log)};
    }
  ASSERT_EQ(agent_logs.size(), before.size()) << j.dump();
  auto all_noticed = [&] {
    for (const auto& [node, log] : agent_logs) {
      std::ifstream in(log.first);
      in.seekg(static_cast<std::streamoff>(log.second));
      std::string since((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (since.find("lease renewal (will retry)") == std::string::npos) return false;
    }
    return true;
  };
  ASSERT_EQ(::kill(etcd_pid, SIGKILL), 0);

  // At least 30 s without the store, and at least one round after every agent has noticed
  // that the store is gone: pods keep talking across nodes the whole time. The 2 s between
  // rounds lets the outage last on purpose.
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + 30s, give_up = start + 120s;
  bool noticed = false;
  int rounds_after_noticed = 0;
  while (std::chrono::steady_clock::now() < give_up &&
         (std::chrono::steady_clock::now() < until || rounds_after_noticed == 0)) {
    const bool noticed_before_round = noticed = noticed || all_noticed();
    for (size_t i = 0; i < p.size(); ++i) {
      const auto& a = p[i];
      const auto& b = p[(i + 1) % p.size()];
      auto ping = ctl(fmt::format("exec {} -- ping -c1 -W2 {}", a.name, b.ip));
      EXPECT_EQ(ping.rc, 0) << "during the outage, " << a.name << " -> " << b.ip << ": "
                            << ping.out;
    }
    rounds_after_noticed += noticed_before_round;
    std::this_thread::sleep_for(2s);
  }
  EXPECT_TRUE(noticed) << "not every podnetd logged a failed lease renewal during the outage";
  EXPECT_GE(rounds_after_noticed, 1);

  // etcd back with its data; a change made right away (a new node appears, as if joining
  // while the agents were still reconnecting) reaches every node's kernel.
  ASSERT_EQ(sh(fmt::format("ip netns exec {}-etcd setsid {} >> {} 2>&1 < /dev/null &", lab_, cmd,
                           lab::lab_paths(lab_).root + "/logs/etcd-restarted.log")),
            0);
  const std::string node_json =
      R"({"metadata":{"name":"lxjoin"},"spec":{"podCIDR":"192.168.200.0/24",)"
      R"("backend":{"vtepMAC":"02:00:00:00:00:c8"}},"status":{"addresses":)"
      R"([{"type":"InternalIP","address":"10.1.1.200"}]}})";
  std::string out;
  int put_rc = -1;
  for (int i = 0; i < 100 && put_rc != 0; ++i) {
    put_rc =
        sh(fmt::format("ip netns exec {}-ext env ETCDCTL_API=3 etcdctl --endpoints "
                       "http://10.1.1.2:2379 --command-timeout=1s put /podnet/nodes/lxjoin '{}'",
                       lab_, node_json),
           &out);
    if (put_rc != 0) std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(put_rc, 0) << out;
  for (const auto& [name, v] : before) {
    std::set<std::string> have;
    for (int i = 0; i < 150 && !(have = podnet_routes(name)).count("192.168.200.0/24"); ++i)
      std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(have.count("192.168.200.0/24")) << name << " did not catch up after the outage";
  }
  // The nodes kept their subnets, and traffic still flows.
  for (int i = 0; i < 100 && nodes().size() < before.size() + 1; ++i)
    std::this_thread::sleep_for(100ms);
  auto after = nodes();
  for (const auto& [name, v] : before) {
    ASSERT_TRUE(after.count(name)) << name << " lost its node entry";
    EXPECT_EQ(after.at(name).second, v.second) << name << " changed subnet";
  }
  EXPECT_EQ(ctl(fmt::format("exec {} -- ping -c1 -W2 {}", p[0].name, p[1].ip)).rc, 0);
}

}  // namespace
}  // namespace podnet::testing
