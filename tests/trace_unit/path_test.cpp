// Path assembly from recorded kernel facts: each scenario of `podnetctl trace` hop by hop.
#include <gtest/gtest.h>

#include "lab_facts.hpp"

namespace podnet::trace::testing {
namespace {

Packet icmp(const char* dst, std::optional<const char*> src) {
  Packet p{.dst = ip(dst), .proto = Proto::icmp};
  if (src) p.src = ip(*src);
  return p;
}
Packet tcp(const char* dst, uint16_t port, std::optional<const char*> src) {
  Packet p{.dst = ip(dst), .proto = Proto::tcp, .port = port};
  if (src) p.src = ip(*src);
  return p;
}

class PathTest : public ::testing::Test {
 protected:
  LabFacts lab;
  // Pod a's lookups: everything leaves by its default route.
  void pod_a_default(const char* dst) {
    lab.route(kA, dst, "192.168.1.2", "", "0.0.0.0/0", "192.168.1.1", 2,
              "default via 192.168.1.1 dev eth0 mtu 1450");
  }
};

TEST_F(PathTest, SameNode) {
  pod_a_default("192.168.1.3");
  lab.route(kN1, "192.168.1.3", "192.168.1.2", "pnbA", "192.168.1.3/32", std::nullopt, 6,
            "192.168.1.3 dev pnbB scope link");
  lab.local(kB, "192.168.1.3", "192.168.1.2", "eth0");
  Path p = lab.run(kA, icmp("192.168.1.3", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route veth deliver");
  ASSERT_EQ(p.hops.size(), 5u);
  EXPECT_EQ(p.hops[0].where, "pod/a");
  EXPECT_EQ(p.hops[0].by, "default via 192.168.1.1 dev eth0 mtu 1450");
  EXPECT_EQ(p.hops[1].what, "eth0 -> pnbA in node/lxb001");
  EXPECT_EQ(p.hops[1].by, "veth pair eth0@if5 <-> pnbA@if2");
  EXPECT_EQ(p.hops[2].where, "node/lxb001");
  EXPECT_EQ(p.hops[2].by, "192.168.1.3 dev pnbB scope link");
  EXPECT_EQ(p.hops[3].what, "pnbB -> eth0 in pod/b");
  EXPECT_EQ(p.hops[4].where, "pod/b");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.hop, 5);
  EXPECT_EQ(p.verdict.reason, "delivered to 192.168.1.3 in pod/b");
}

TEST_F(PathTest, AcrossNodesVxlan) {
  pod_a_default("192.168.2.2");
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "pnbA", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.vxlan_peers();
  lab.route(kN2, "192.168.2.2", "192.168.1.2", "podnet.1", "192.168.2.2/32", std::nullopt, 5,
            "192.168.2.2 dev pnbC scope link");
  lab.local(kC, "192.168.2.2", "192.168.1.2", "eth0");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route vxlan underlay vxlan route veth deliver");
  ASSERT_EQ(p.hops.size(), 9u);
  EXPECT_EQ(p.hops[2].by, "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  EXPECT_EQ(p.hops[3].by,
            "neigh 192.168.2.0 lladdr 02:00:00:00:02:00 dev podnet.1; fdb 02:00:00:00:02:00 dst "
            "10.1.1.16");
  EXPECT_EQ(p.hops[4].what, "VXLAN/UDP 10.1.1.15 -> 10.1.1.16 over eth0 to node/lxb002");
  EXPECT_EQ(p.hops[5].where, "node/lxb002");
  EXPECT_EQ(p.hops[5].what, "decapsulated by podnet.1 (vni 1, MAC 02:00:00:00:02:00)");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.where, "pod/c");
}

TEST_F(PathTest, AcrossNodesHostGw) {
  pod_a_default("192.168.2.2");
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "pnbA", "192.168.2.0/24", "10.1.1.16", 2,
            "192.168.2.0/24 via 10.1.1.16 dev eth0 proto 80");
  lab.route(kN2, "192.168.2.2", "192.168.1.2", "eth0", "192.168.2.2/32", std::nullopt, 5,
            "192.168.2.2 dev pnbC scope link");
  lab.local(kC, "192.168.2.2", "192.168.1.2", "eth0");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route underlay route veth deliver");
  EXPECT_EQ(p.hops[3].what, "over the lab switch to node/lxb002 (10.1.1.16) on eth0");
  EXPECT_EQ(p.hops[3].by, "eth0 gateway 10.1.1.16");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.delivered_as.src, ip("192.168.1.2"));  // pod to pod keeps its source
}

TEST_F(PathTest, NodeToPodUsesTheKernelsSource) {
  lab.route(kN1, "192.168.2.2", std::nullopt, "", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink", "192.168.1.0");
  lab.route(kN1, "192.168.2.2", "192.168.1.0", "", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink", "192.168.1.0");
  lab.vxlan_peers();
  lab.route(kN2, "192.168.2.2", "192.168.1.0", "podnet.1", "192.168.2.2/32", std::nullopt, 5,
            "192.168.2.2 dev pnbC scope link");
  lab.local(kC, "192.168.2.2", "192.168.1.0", "eth0");
  Path p = lab.run(kN1, icmp("192.168.2.2", std::nullopt));
  EXPECT_EQ(steps(p), "route vxlan underlay vxlan route veth deliver");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.delivered_as.src, ip("192.168.1.0"));  // not masqueraded: inside the cluster
}

TEST_F(PathTest, PodToOutsideIsMasqueraded) {
  pod_a_default("203.0.113.1");
  lab.route(kN1, "203.0.113.1", "192.168.1.2", "pnbA", "0.0.0.0/0", "10.1.1.1", 2,
            "default via 10.1.1.1 dev eth0");
  lab.local(kExt, "203.0.113.1", "10.1.1.15", "eth0");
  Path p = lab.run(kA, icmp("203.0.113.1", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route snat underlay deliver");
  EXPECT_EQ(p.hops[3].what, "source 192.168.1.2 -> 10.1.1.15 (masquerade out eth0)");
  EXPECT_EQ(p.hops[3].by, "ip podnet postrouting: ip saddr 192.168.1.0/24 masquerade");
  EXPECT_EQ(p.hops[4].what, "over the lab switch to ext (10.1.1.1) on eth0");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.where, "ext");
  EXPECT_EQ(p.delivered_as.src, ip("10.1.1.15"));
}

TEST_F(PathTest, NodePortFromOutside) {
  lab.route(kExt, "10.1.1.15", std::nullopt, "", "10.1.1.0/24", std::nullopt, 2,
            "10.1.1.0/24 dev eth0 proto kernel scope link", "10.1.1.1");
  lab.route(kExt, "10.1.1.15", "10.1.1.1", "", "10.1.1.0/24", std::nullopt, 2,
            "10.1.1.0/24 dev eth0 proto kernel scope link", "10.1.1.1");
  lab.f.nat[NatKey{kN1, ip("10.1.1.15"), Proto::tcp, 31000}] =
      NatFact{.action = NatAction::dnat,
              .service = "default/web",
              .element = "svc-nodeports: tcp . 31000 : goto np-pick-1",
              .chain = "np-pick-1",
              .nodeport = true,
              .endpoints = {
                  {ip("192.168.2.2"), 8080, "np-endpoints: tcp . 31000 . 0 : 192.168.2.2 . 8080"}}};
  lab.route(kN1, "192.168.2.2", "10.1.1.1", "eth0", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.vxlan_peers();
  lab.route(kN2, "192.168.2.2", "192.168.1.0", "podnet.1", "192.168.2.2/32", std::nullopt, 5,
            "192.168.2.2 dev pnbC scope link");
  lab.local(kC, "192.168.2.2", "192.168.1.0", "eth0");
  Path p = lab.run(kExt, tcp("10.1.1.15", 31000, std::nullopt));
  EXPECT_EQ(steps(p), "route underlay dnat route snat vxlan underlay vxlan route veth deliver");
  EXPECT_EQ(p.hops[2].what,
            "tcp 10.1.1.15:31000 -> 192.168.2.2:8080 service default/web (picks one of 1: "
            "192.168.2.2:8080)");
  EXPECT_EQ(p.hops[2].by,
            "svc-nodeports: tcp . 31000 : goto np-pick-1; np-endpoints: tcp . 31000 . 0 : "
            "192.168.2.2 . 8080");
  EXPECT_EQ(p.hops[4].what, "source 10.1.1.1 -> 192.168.1.0 (masquerade out podnet.1)");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.reason, "delivered to 192.168.2.2:8080 in pod/c");
}

TEST_F(PathTest, ClusterIpDnatToAnEndpoint) {
  pod_a_default("10.96.0.10");
  lab.service("10.96.0.10", {{"192.168.1.3", 8080}, {"192.168.2.2", 8080}});
  lab.route(kN1, "192.168.1.3", "192.168.1.2", "pnbA", "192.168.1.3/32", std::nullopt, 6,
            "192.168.1.3 dev pnbB scope link");
  lab.local(kB, "192.168.1.3", "192.168.1.2", "eth0");
  Path p = lab.run(kA, tcp("10.96.0.10", 80, "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth dnat route veth deliver");
  EXPECT_EQ(p.hops[2].where, "node/lxb001");
  EXPECT_EQ(p.hops[2].what,
            "tcp 10.96.0.10:80 -> 192.168.1.3:8080 service default/web (picks one of 2: "
            "192.168.1.3:8080, 192.168.2.2:8080); following the first");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.delivered_as.src, ip("192.168.1.2"));  // a pod client keeps its address
}

TEST_F(PathTest, HairpinThroughAServiceIsMasqueraded) {
  pod_a_default("10.96.0.10");
  lab.service("10.96.0.10", {{"192.168.1.2", 8080}});
  lab.route(kN1, "192.168.1.2", "192.168.1.2", "pnbA", "192.168.1.2/32", std::nullopt, 5,
            "192.168.1.2 dev pnbA scope link");
  lab.local(kA, "192.168.1.2", "192.168.1.1", "eth0");
  Path p = lab.run(kA, tcp("10.96.0.10", 80, "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth dnat route snat veth deliver");
  EXPECT_EQ(p.hops[4].what, "source 192.168.1.2 -> 192.168.1.1 (masquerade out pnbA)");
  EXPECT_TRUE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.where, "pod/a");
}

TEST_F(PathTest, ServiceWithoutEndpointsRejects) {
  pod_a_default("10.96.0.11");
  lab.f.nat[NatKey{kN1, ip("10.96.0.11"), Proto::tcp, 80}] =
      NatFact{.action = NatAction::reject,
              .service = "default/empty",
              .element = "no-endpoints: 10.96.0.11 . tcp . 80 : goto reject-service",
              .chain = "reject-service"};
  Path p = lab.run(kA, tcp("10.96.0.11", 80, "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_FALSE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.hop, 3);
  EXPECT_EQ(p.verdict.reason, "rejected: service default/empty has no ready endpoints");
}

TEST_F(PathTest, UnallocatedServiceAddressIsDropped) {
  pod_a_default("10.96.0.99");
  // podnetd's table is there and holds nothing for 10.96.0.99.
  lab.f.nat[NatKey{kN1, ip("10.96.0.99"), Proto::tcp, 80}] = NatFact{.table = true};
  Path p = lab.run(kA, tcp("10.96.0.99", 80, "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_FALSE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.reason, "dropped: no Service has 10.96.0.99 (service CIDR 10.96.0.0/12)");
  EXPECT_EQ(p.hops.back().by, "service-checks: ip daddr 10.96.0.0/12 drop");
}

TEST_F(PathTest, DeletedPeerRouteIsReportedAtTheNode) {
  pod_a_default("192.168.2.2");
  // The podnet route for lxb002's subnet was deleted: the default route catches it.
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "pnbA", "0.0.0.0/0", "10.1.1.1", 2,
            "default via 10.1.1.1 dev eth0");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_FALSE(p.verdict.delivered);
  EXPECT_EQ(p.verdict.hop, 3);
  EXPECT_EQ(p.verdict.where, "node/lxb001");
  EXPECT_EQ(p.verdict.reason,
            "no route for node/lxb002's pod subnet 192.168.2.0/24: the lookup fell through to "
            "\"default via 10.1.1.1 dev eth0\"");
  EXPECT_EQ(p.hops[2].by, "default via 10.1.1.1 dev eth0");
}

TEST_F(PathTest, HostVethDownIsReportedAtTheNode) {
  pod_a_default("192.168.1.3");
  lab.link(kN1, "pnbB").up = false;  // the kernel removed "192.168.1.3 dev pnbB"
  lab.route(kN1, "192.168.1.3", "192.168.1.2", "pnbA", "0.0.0.0/0", "10.1.1.1", 2,
            "default via 10.1.1.1 dev eth0");
  Path p = lab.run(kA, icmp("192.168.1.3", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth drop");
  EXPECT_EQ(p.verdict.where, "node/lxb001");
  EXPECT_EQ(p.verdict.reason,
            "192.168.1.3 is in this node's pod subnet 192.168.1.0/24 but the route leaves by "
            "eth0: pod/b's host veth pnbB is DOWN (the kernel removed its route)");
}

TEST_F(PathTest, PodEth0DownIsReportedAtThePod) {
  pod_a_default("192.168.1.3");
  lab.link(kB, "eth0").up = false;
  lab.route(kN1, "192.168.1.3", "192.168.1.2", "pnbA", "192.168.1.3/32", std::nullopt, 6,
            "192.168.1.3 dev pnbB scope link linkdown");
  Path p = lab.run(kA, icmp("192.168.1.3", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route drop");
  EXPECT_EQ(p.verdict.hop, 4);
  EXPECT_EQ(p.verdict.where, "pod/b");
  EXPECT_EQ(p.verdict.reason, "eth0 (peer of pnbB in node/lxb001) is DOWN");
}

TEST_F(PathTest, NoRouteInTheSourcePodNamesItsDownLinks) {
  lab.link(kA, "eth0").up = false;
  lab.route_error(kA, "192.168.2.2", "192.168.1.2", "", "Network is unreachable");
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "drop");
  EXPECT_EQ(p.verdict.reason, "no route to 192.168.2.2: Network is unreachable (eth0 DOWN)");
  EXPECT_EQ(p.hops[0].by, "route lookup (RTM_GETROUTE 192.168.2.2 from 192.168.1.2)");
}

TEST_F(PathTest, MissingVxlanNeighbourDropsAtTheNode) {
  pod_a_default("192.168.2.2");
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "pnbA", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.f.vxlan[{kN1, "podnet.1"}] = VxlanFact{};
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route drop");
  EXPECT_EQ(p.verdict.reason, "no neighbour entry for 192.168.2.0 on podnet.1");
}

TEST_F(PathTest, WrongVtepMacIsDroppedByTheFarNode) {
  pod_a_default("192.168.2.2");
  lab.route(kN1, "192.168.2.2", "192.168.1.2", "pnbA", "192.168.2.0/24", "192.168.2.0", 3,
            "192.168.2.0/24 via 192.168.2.0 dev podnet.1 proto 80 onlink");
  lab.vxlan_peers();
  lab.f.vxlan[{kN1, "podnet.1"}] = VxlanFact{{{ip("192.168.2.0"), "02:00:00:00:09:09"}},
                                             {{"02:00:00:00:09:09", ip("10.1.1.16")}}};
  Path p = lab.run(kA, icmp("192.168.2.2", "192.168.1.2"));
  EXPECT_EQ(steps(p), "route veth route vxlan underlay drop");
  EXPECT_EQ(p.verdict.where, "node/lxb002");
}

TEST_F(PathTest, AMissingFactIsAskedFor) {
  auto r =
      assemble(TraceQuery{.from_netns = kA, .packet = icmp("192.168.1.3", "192.168.1.2")}, lab.f);
  ASSERT_TRUE(std::holds_alternative<FactRequest>(r));
  EXPECT_EQ(describe(std::get<FactRequest>(r)), "route t-pod-a 192.168.1.3 from 192.168.1.2");
}

}  // namespace
}  // namespace podnet::trace::testing
