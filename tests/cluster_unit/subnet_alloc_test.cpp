#include "podnet/cluster/subnet_alloc.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace podnet::cluster {
namespace {

net::Prefix P(const char* s) { return *net::Prefix::parse(s); }
net::IpAddress A(const char* s) { return *net::IpAddress::parse(s); }
using Source = SubnetChoice::Source;

TEST(SubnetAlloc, Count) {
  ClusterConfig c;
  EXPECT_EQ(subnet_count(c), 256u);
  c.nodeSubnetLen = 30;
  EXPECT_EQ(subnet_count(c), 16384u);
  c.clusterCIDR = P("fd00::/32");
  c.nodeSubnetLen = 112;
  EXPECT_EQ(subnet_count(c), UINT64_MAX);
}

TEST(SubnetAlloc, SeedNodesGetDistinctSubnetsInSequence) {
  ClusterConfig c;
  const std::vector<std::pair<const char*, const char*>> nodes = {
      {"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"}, {"lxb003", "10.1.1.17"},
      {"lxb004", "10.1.1.18"}, {"lxcc01", "10.1.1.9"},  {"lxcc02", "10.1.1.10"},
      {"lxcc03", "10.1.1.11"}};
  std::vector<SubnetLease> leases;
  std::set<net::Prefix> seen;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto r = choose_subnet(c, leases, nodes[i].first, A(nodes[i].second));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->source, Source::fresh);
    EXPECT_EQ(r->subnet, *c.clusterCIDR.subnet(24, i)) << nodes[i].first;
    EXPECT_TRUE(c.clusterCIDR.contains(r->subnet));
    EXPECT_EQ(r->subnet.length(), 24);
    EXPECT_TRUE(seen.insert(r->subnet).second);
    leases.push_back({r->subnet, nodes[i].first, A(nodes[i].second)});
  }
  EXPECT_EQ(leases[0].cidr.str(), "192.168.0.0/24");  // subnet 0 is not skipped
  EXPECT_EQ(leases[6].cidr.str(), "192.168.6.0/24");
  // Every node re-running finds its own lease again, whatever the order of the list.
  std::vector<SubnetLease> reversed(leases.rbegin(), leases.rend());
  for (const auto& l : leases) {
    auto r = choose_subnet(c, reversed, l.node, l.internalIP);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, (SubnetChoice{l.cidr, Source::held}));
  }
}

TEST(SubnetAlloc, ReclaimOwnLeaseByNameThenByIp) {
  ClusterConfig c;
  std::vector<SubnetLease> leases = {{P("192.168.0.0/24"), "lxb001", A("10.1.1.15")},
                                     {P("192.168.9.0/24"), "lxb002", A("10.1.1.16")},
                                     {P("192.168.4.0/24"), "old-name", A("10.1.1.17")}};
  // by name, even when the node's IP changed
  EXPECT_EQ(*choose_subnet(c, leases, "lxb002", A("10.1.1.99")),
            (SubnetChoice{P("192.168.9.0/24"), Source::held}));
  // by internal IP (flannel reuses by public IP): a renamed host keeps its subnet
  EXPECT_EQ(*choose_subnet(c, leases, "lxb003", A("10.1.1.17")),
            (SubnetChoice{P("192.168.4.0/24"), Source::held}));
  // the name wins over the IP
  EXPECT_EQ(*choose_subnet(c, leases, "lxb001", A("10.1.1.17")),
            (SubnetChoice{P("192.168.0.0/24"), Source::held}));
  // a held lease wins over the previous local subnet
  EXPECT_EQ(*choose_subnet(c, leases, "lxb001", A("10.1.1.15"), P("192.168.7.0/24")),
            (SubnetChoice{P("192.168.0.0/24"), Source::held}));
  // a new node takes the lowest gap
  EXPECT_EQ(*choose_subnet(c, leases, "lxb005", A("10.1.1.19")),
            (SubnetChoice{P("192.168.1.0/24"), Source::fresh}));
}

TEST(SubnetAlloc, HeldLeaseOutsideTheClusterIsNotReused) {
  ClusterConfig c;
  std::vector<SubnetLease> leases = {{P("10.244.3.0/24"), "lxb001", A("10.1.1.15")},
                                     {P("192.168.0.0/25"), "lxb001", A("10.1.1.15")}};
  // neither is a /24 of 192.168.0.0/16; the /25 still blocks 192.168.0.0/24
  EXPECT_EQ(*choose_subnet(c, leases, "lxb001", A("10.1.1.15")),
            (SubnetChoice{P("192.168.1.0/24"), Source::fresh}));
}

TEST(SubnetAlloc, PreviousLocalSubnet) {
  ClusterConfig c;
  std::vector<SubnetLease> leases = {{P("192.168.0.0/24"), "lxb001", A("10.1.1.15")},
                                     {P("192.168.5.0/24"), "lxb002", A("10.1.1.16")}};
  EXPECT_EQ(*choose_subnet(c, leases, "lxb003", A("10.1.1.17"), P("192.168.7.0/24")),
            (SubnetChoice{P("192.168.7.0/24"), Source::previous}));
  // taken by someone else meanwhile: a fresh one (never a duplicate from stale local state)
  EXPECT_EQ(*choose_subnet(c, leases, "lxb003", A("10.1.1.17"), P("192.168.5.0/24")),
            (SubnetChoice{P("192.168.1.0/24"), Source::fresh}));
  // outside the cluster CIDR, wrong length, host bits: ignored
  for (const char* prev : {"10.244.7.0/24", "192.168.7.0/25", "192.168.7.1/24", "fd00::/64"})
    EXPECT_EQ(*choose_subnet(c, leases, "lxb003", A("10.1.1.17"), P(prev)),
              (SubnetChoice{P("192.168.1.0/24"), Source::fresh}))
        << prev;
}

TEST(SubnetAlloc, LowestFreeIsDeterministicAndIgnoresOrder) {
  ClusterConfig c;
  std::vector<SubnetLease> leases;
  for (int i : {3, 0, 2, 1, 5})
    leases.push_back({*c.clusterCIDR.subnet(24, i), fmt::format("n{}", i), A("10.1.1.1")});
  auto r = choose_subnet(c, leases, "new", A("10.1.2.1"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->subnet.str(), "192.168.4.0/24");
  // a wider foreign lease (config changed from /23) blocks both /24s it covers
  leases.push_back({P("192.168.4.0/23"), "old", A("10.1.2.2")});
  EXPECT_EQ(choose_subnet(c, leases, "new", A("10.1.2.1"))->subnet.str(), "192.168.6.0/24");
  // leases of another family or outside the cluster do not block anything
  leases.push_back({P("fd00::/64"), "v6", A("fd00::1")});
  leases.push_back({P("10.0.0.0/8"), "far", A("10.1.2.3")});
  EXPECT_EQ(choose_subnet(c, leases, "new", A("10.1.2.1"))->subnet.str(), "192.168.6.0/24");
  // a lease covering the whole cluster blocks everything
  leases.push_back({P("192.0.0.0/8"), "huge", A("10.1.2.4")});
  auto full = choose_subnet(c, leases, "new", A("10.1.2.1"));
  ASSERT_FALSE(full.has_value());
}

TEST(SubnetAlloc, Exhaustion) {
  ClusterConfig c;
  std::vector<SubnetLease> leases;
  for (int i = 0; i < 256; ++i)
    leases.push_back({*c.clusterCIDR.subnet(24, i), fmt::format("n{}", i),
                      net::IpAddress::v4(0x0a000000u + uint32_t(i))});
  auto r = choose_subnet(c, leases, "n256", A("10.1.1.200"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "no free /24 left in 192.168.0.0/16 (256 nodes hold one)");
  // the last free one is found when one leaves
  leases.erase(leases.begin() + 200);
  EXPECT_EQ(choose_subnet(c, leases, "n256", A("10.1.1.200"))->subnet.str(), "192.168.200.0/24");

  c.clusterCIDR = P("192.168.0.0/23");
  std::vector<SubnetLease> one = {{P("192.168.0.0/23"), "a", A("10.1.1.1")}};
  EXPECT_EQ(choose_subnet(c, one, "b", A("10.1.1.2")).error().message,
            "no free /24 left in 192.168.0.0/23 (1 node holds one)");
}

TEST(SubnetAlloc, InvalidConfigIsRefused) {
  ClusterConfig c;
  c.nodeSubnetLen = 8;
  auto r = choose_subnet(c, {}, "a", A("10.1.1.1"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "nodeSubnetLen: 8 must be in (16, 30] for clusterCIDR 192.168.0.0/16");
}

TEST(SubnetAlloc, Ipv6HugeIndexSpace) {
  ClusterConfig c;
  c.clusterCIDR = P("fd00::/16");
  c.nodeSubnetLen = 112;  // 2^96 subnets
  c.serviceCIDR = P("fd01::/108");
  std::vector<SubnetLease> leases = {{P("fd00::/112"), "a", A("fd10::1")},
                                     {P("fd00::1:0/112"), "b", A("fd10::2")}};
  auto r = choose_subnet(c, leases, "c", A("fd10::3"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->subnet.str(), "fd00::2:0/112");
  // previous far away in the cluster CIDR is honoured
  EXPECT_EQ(choose_subnet(c, leases, "c", A("fd10::3"), P("fd00:ffff::/112"))->source,
            Source::previous);
}

TEST(SubnetAlloc, ScanIsBoundedByLeases) {
  // 16384 /30s; 10000 taken: still answers quickly and correctly.
  ClusterConfig c;
  c.nodeSubnetLen = 30;
  std::vector<SubnetLease> leases;
  for (int i = 9999; i >= 0; --i)
    leases.push_back({*c.clusterCIDR.subnet(30, i), fmt::format("n{}", i), A("10.1.1.1")});
  auto r = choose_subnet(c, leases, "new", A("10.9.9.9"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->subnet, *c.clusterCIDR.subnet(30, 10000));
}

}  // namespace
}  // namespace podnet::cluster
