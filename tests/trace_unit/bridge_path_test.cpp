// Path assembly for bridge-mode nodes (podnetd --mode bridge) from recorded facts: pods on one
// node are switched by the bridge, traffic to the gateway goes up to the node's IP stack, the
// node reaches its pods through the bridge; broken ports are reported at the node.
#include <gtest/gtest.h>

#include "lab_facts.hpp"

namespace podnet::trace::testing {
namespace {

constexpr const char* kMacA = "0a:00:00:01:00:02";
constexpr const char* kMacB = "0a:00:00:01:00:03";

Packet icmp(const char* dst, std::optional<const char*> src) {
  Packet p{.dst = ip(dst), .proto = Proto::icmp};
  if (src) p.src = ip(*src);
  return p;
}

class BridgePathTest : public ::testing::Test {
 protected:
  void SetUp() override { lab.bridge_mode(); }
  // Pod a's lookups: its own subnet on-link, everything else by the gateway.
  void pod_a_on_link(const char* dst) {
    lab.route(kA, dst, "192.168.1.2", "", "192.168.1.0/24", std::nullopt, 2,
              "192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.2");
  }
  void pod_a_default(const char* dst) {
    lab.route(kA, dst, "192.168.1.2", "", "0.0.0.0/0", "192.168.1.1", 2,
              "default via 192.168.1.1 dev eth0 mtu 1450");
  }
  Path same_node() {
    pod_a_on_link("192.168.1.3");
    lab.local(kB, "192.168.1.3", "192.168.1.2", "eth0");
    return lab.run(kA, icmp("192.168.1.3", "192.168.1.2"));
  }
  LabFacts lab;
};

TEST_F(BridgePathTest, SameNodeIsSwitchedNotRouted) {
  Path p = same_node();
  EXPECT_EQ(steps(p), "route veth bridge veth deliver");
  ASSERT_EQ(p.hops.size(), 5u);
  EXPECT_EQ(p.hops[0].what, "to 192.168.1.3 dev eth0");
  EXPECT_EQ(p.hops[1].what, "eth0 -> pnbA in node/lxb001");
  EXPECT_EQ(p.hops[2].where, "node/lxb001");
  EXPECT_EQ(p.hops[2].what,
            "switched (L2) by podnet0: pnbA -> pnbB (MAC 0a:00:00:01:00:03 of pod/b's eth0); "
            "br_netfilter: the node's ip hooks see it too");
  EXPECT_EQ(p.hops[2].by, "fdb 0a:00:00:01:00:03 dev pnbB master podnet0");
  EXPECT_EQ(p.hops[3].what, "pnbB -> eth0 in pod/b");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.reason, "delivered to 192.168.1.3 in pod/b");
  EXPECT_EQ(p.delivered_as.src, ip("192.168.1.2"));
}

TEST_F(BridgePathTest, UnknownMacIsFlooded) {
  auto& fdb = lab.f.bridges[{kN1, "podnet0"}].fdb;
  std::erase_if(fdb, [](const BridgeFdb& e) { return e.mac == kMacB; });
  Path p = same_node();
  EXPECT_EQ(steps(p), "route veth bridge veth deliver");
  EXPECT_EQ(p.hops[2].by, "no fdb entry for 0a:00:00:01:00:03 on podnet0: flooded to every port");
  EXPECT_TRUE(p.verdict.delivered);
}

TEST_F(BridgePathTest, WhatBrNetfilterSees) {
  lab.f.bridges[{kN1, "podnet0"}].netfilter = false;
  Path off = same_node();
  EXPECT_TRUE(off.hops[2].what.ends_with("; the node's ip hooks do not see it (br_netfilter off)"))
      << off.hops[2].what;
  lab.f.bridges[{kN1, "podnet0"}].netfilter.reset();
  Path none = same_node();
  EXPECT_TRUE(none.hops[2].what.ends_with("; the node's ip hooks never see it (no br_netfilter)"))
      << none.hops[2].what;
}

TEST_F(BridgePathTest, AcrossNodesByTheGatewayAndTheFarBridge) {
  pod_a_default("192.168.2.2");
  // Received on the bridge device: the node's lookup has podnet0 as its input link.
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "podnet0", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.vxlan_peers();
  lab.route(kN2, "192.168.2.2", "192.168.1.2", "podnet.1", "192.168.2.0/24", std::nullopt,
            LabFacts::kBr, "192.168.2.0/24 dev podnet0 proto kernel scope link src 192.168.2.1");
  lab.local(kC, "192.168.2.2", "192.168.1.2", "eth0");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth bridge route vxlan underlay vxlan route bridge veth deliver");
  ASSERT_EQ(p.hops.size(), 11u);
  EXPECT_EQ(p.hops[2].what,
            "pnbA -> podnet0 (forwarding port): for podnet0's own MAC 02:00:00:00:01:01 "
            "(gateway 192.168.1.1): up to node/lxb001's IP stack");
  EXPECT_EQ(p.hops[2].by, "fdb 02:00:00:00:01:01 dev podnet0 master podnet0 permanent");
  EXPECT_EQ(p.hops[3].by, "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  EXPECT_EQ(p.hops[7].where, "node/lxb002");
  EXPECT_EQ(p.hops[7].what, "to 192.168.2.2 dev podnet0");
  EXPECT_EQ(p.hops[8].what,
            "switched (L2) by podnet0: podnet0 -> pnbC (MAC 0a:00:00:02:00:02 of pod/c's eth0)");
  EXPECT_EQ(p.hops[8].by, "fdb 0a:00:00:02:00:02 dev pnbC master podnet0");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.where, "pod/c");
}

TEST_F(BridgePathTest, NodeToItsPodThroughTheBridge) {
  lab.route(kN1, "192.168.1.3", std::nullopt, "", "192.168.1.0/24", std::nullopt, LabFacts::kBr,
            "192.168.1.0/24 dev podnet0 proto kernel scope link src 192.168.1.1", "192.168.1.1");
  lab.route(kN1, "192.168.1.3", "192.168.1.1", "", "192.168.1.0/24", std::nullopt, LabFacts::kBr,
            "192.168.1.0/24 dev podnet0 proto kernel scope link src 192.168.1.1", "192.168.1.1");
  lab.local(kB, "192.168.1.3", "192.168.1.1", "eth0");
  Path p = lab.run(kN1, icmp("192.168.1.3", std::nullopt));
  EXPECT_EQ(steps(p), "route bridge veth deliver");
  EXPECT_EQ(p.hops[1].what,
            "switched (L2) by podnet0: podnet0 -> pnbB (MAC 0a:00:00:01:00:03 of pod/b's eth0)");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.delivered_as.src, ip("192.168.1.1"));
}

TEST_F(BridgePathTest, ClusterIpToAPodOfTheSameBridge) {
  pod_a_default("10.96.0.10");
  lab.service("10.96.0.10", {{"192.168.1.3", 8080}});
  lab.route(kN1, "192.168.1.3", "192.168.1.2", "podnet0", "192.168.1.0/24", std::nullopt,
            LabFacts::kBr, "192.168.1.0/24 dev podnet0 proto kernel scope link src 192.168.1.1");
  lab.local(kB, "192.168.1.3", "192.168.1.2", "eth0");
  Path p = lab.run(
      kA,
      Packet{.dst = ip("10.96.0.10"), .src = ip("192.168.1.2"), .proto = Proto::tcp, .port = 80});
  EXPECT_EQ(steps(p), "route veth bridge dnat route bridge veth deliver");
  EXPECT_EQ(p.hops[3].where, "node/lxb001");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.reason, "delivered to 192.168.1.3:8080 in pod/b");
}

TEST_F(BridgePathTest, DetachedDestinationVethIsReportedAtTheNode) {
  // `ip link set pnbB nomaster`: the bridge forgets what it learned on that port.
  lab.link(kN1, "pnbB").master = 0;
  lab.link(kN1, "pnbB").port_state.clear();
  auto& fdb = lab.f.bridges[{kN1, "podnet0"}].fdb;
  std::erase_if(fdb, [](const BridgeFdb& e) { return e.mac == kMacB; });
  Path p = same_node();
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_FALSE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.hop, 3);
  EXPECT_EQ(p.verdict.where, "node/lxb001");
  EXPECT_EQ(p.verdict.reason,
            "pod/b's host veth pnbB is not a port of podnet0 (no master): the frame for "
            "0a:00:00:01:00:03 cannot reach it");
  EXPECT_EQ(p.hops[2].step, "drop");
  EXPECT_EQ(p.hops[2].what, "bridge: " + p.verdict.reason);
}

TEST_F(BridgePathTest, DetachedVethOnTheFarNode) {
  lab.link(kN2, "pnbC").master = 0;
  pod_a_default("192.168.2.2");
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "podnet0", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.vxlan_peers();
  lab.route(kN2, "192.168.2.2", "192.168.1.2", "podnet.1", "192.168.2.0/24", std::nullopt,
            LabFacts::kBr, "192.168.2.0/24 dev podnet0 proto kernel scope link src 192.168.2.1");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth bridge route vxlan underlay vxlan route drop");
  EXPECT_EQ(p.verdict.where, "node/lxb002");
  EXPECT_TRUE(p.verdict.reason.starts_with("pod/c's host veth pnbC is not a port of podnet0"))
      << p.verdict.reason;
}

TEST_F(BridgePathTest, DownDestinationVeth) {
  lab.link(kN1, "pnbB").up = false;
  lab.link(kN1, "pnbB").port_state = "disabled";
  Path p = same_node();
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_EQ(p.verdict.where, "node/lxb001");
  EXPECT_EQ(p.verdict.reason, "pod/b's host veth pnbB is DOWN");
}

TEST_F(BridgePathTest, PortNotForwarding) {
  lab.link(kN1, "pnbB").port_state = "blocking";
  Path p = same_node();
  EXPECT_EQ(p.verdict.reason,
            "pod/b's host veth pnbB is a port of podnet0 in state blocking, not forwarding");
}

TEST_F(BridgePathTest, StaleFdbEntryOnAnotherPort) {
  lab.fdb(kN1, kMacB).port = 5;
  Path p = same_node();
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_EQ(p.verdict.reason,
            "the FDB sends 0a:00:00:01:00:03 (pod/b's eth0) to pnbA, not to its host veth pnbB");
  EXPECT_EQ(p.hops[2].by, "fdb 0a:00:00:01:00:03 dev pnbA master podnet0");
}

TEST_F(BridgePathTest, DetachedSourceVeth) {
  lab.link(kN1, "pnbA").master = 0;
  pod_a_default("192.168.2.2");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_EQ(p.verdict.where, "node/lxb001");
  EXPECT_EQ(p.verdict.reason,
            "pnbA is not a port of bridge podnet0 (no master): the frame for 192.168.1.1 is not "
            "switched");
  EXPECT_EQ(p.hops[2].by, "pnbA (no master); podnet0 inet 192.168.1.1/24");
}

TEST_F(BridgePathTest, BridgeDown) {
  for (auto& l : lab.f.namespaces[kN1].links)
    if (l.name == "podnet0") l.up = false;
  pod_a_default("192.168.2.2");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_EQ(p.verdict.reason, "bridge podnet0 is DOWN");
}

TEST_F(BridgePathTest, NodeToPodWithTheBridgeDown) {
  for (auto& l : lab.f.namespaces[kN1].links)
    if (l.name == "podnet0") l.up = false;
  // The kernel removed podnet0's subnet route: the default route catches the pod's address.
  lab.route(kN1, "192.168.1.3", std::nullopt, "", "0.0.0.0/0", "10.1.1.1", 2,
            "default via 10.1.1.1 dev eth0", "10.1.1.15");
  lab.route(kN1, "192.168.1.3", "10.1.1.15", "", "0.0.0.0/0", "10.1.1.1", 2,
            "default via 10.1.1.1 dev eth0", "10.1.1.15");
  Path p = lab.run(kN1, icmp("192.168.1.3", std::nullopt));
  EXPECT_EQ(steps(p), "drop");
  EXPECT_EQ(p.verdict.reason,
            "192.168.1.3 is in this node's pod subnet 192.168.1.0/24 but the route leaves by "
            "eth0: pod/b's host veth pnbB is a port of podnet0, which is DOWN (the kernel removed "
            "its route)");
}

TEST_F(BridgePathTest, TheBridgeFactIsAskedFor) {
  lab.f.bridges.clear();
  pod_a_on_link("192.168.1.3");
  auto r =
      assemble(TraceQuery{.from_netns = kA, .packet = icmp("192.168.1.3", "192.168.1.2")}, lab.f);
  ASSERT_TRUE(std::holds_alternative<FactRequest>(r));
  EXPECT_EQ(describe(std::get<FactRequest>(r)), "bridge t-lxb001 podnet0");
}

}  // namespace
}  // namespace podnet::trace::testing
