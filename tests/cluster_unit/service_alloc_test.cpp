// clusterIP and nodePort choice: ranges, taken values, spread-out starts, full pools, batches.
#include <gtest/gtest.h>

#include <set>

#include "podnet/cluster/service_alloc.hpp"

namespace podnet::cluster {
namespace {

net::IpAddress A(const char* s) {
  return *net::IpAddress::parse(s);
}
net::Prefix P(const char* s) {
  return *net::Prefix::parse(s);
}

TEST(ServiceAlloc, ClusterIpPoolExcludesNetworkAndBroadcast) {
  ClusterIpPool pool(P("10.96.0.0/29"));
  EXPECT_EQ(pool.size(), 6u);
  EXPECT_FALSE(pool.usable(A("10.96.0.0")));
  EXPECT_FALSE(pool.usable(A("10.96.0.7")));
  EXPECT_FALSE(pool.usable(A("10.96.0.8")));
  EXPECT_FALSE(pool.usable(A("fd00::1")));
  EXPECT_TRUE(pool.usable(A("10.96.0.1")));
  EXPECT_EQ(pool.take(A("10.96.0.7")), Take::out_of_range);
  EXPECT_EQ(pool.take(A("10.96.0.1")), Take::ok);
  EXPECT_EQ(pool.take(A("10.96.0.1")), Take::taken);
  std::set<net::IpAddress> got{A("10.96.0.1")};
  for (int i = 0; i < 5; ++i) {
    auto ip = pool.allocate(alloc_seed("default", "svc", i));
    ASSERT_TRUE(ip.has_value());
    EXPECT_TRUE(got.insert(*ip).second) << ip->str();
    EXPECT_TRUE(pool.usable(*ip));
  }
  EXPECT_EQ(pool.allocate(7), std::nullopt);  // full
  pool.release(A("10.96.0.3"));
  EXPECT_EQ(pool.allocate(12345), A("10.96.0.3"));
}

TEST(ServiceAlloc, SeedsAreStableAndSpreadOut) {
  EXPECT_EQ(alloc_seed("default", "web"), alloc_seed("default", "web"));
  EXPECT_NE(alloc_seed("default", "web"), alloc_seed("default", "web", 1));
  EXPECT_NE(alloc_seed("default", "web"), alloc_seed("other", "web"));
  // Two fresh allocators (two processes) choosing for different services rarely collide.
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    ClusterIpPool a(P("10.96.0.0/12")), b(P("10.96.0.0/12"));
    auto x = a.allocate(alloc_seed("default", "a" + std::to_string(i)));
    auto y = b.allocate(alloc_seed("default", "b" + std::to_string(i)));
    same += *x == *y;
  }
  EXPECT_LE(same, 2);
}

TEST(ServiceAlloc, BatchOf30000ClusterIpsIsDistinct) {
  ClusterIpPool pool(P("10.96.0.0/12"));
  std::set<net::IpAddress> got;
  for (int i = 0; i < 30000; ++i) {
    auto ip = pool.allocate(alloc_seed("default", "svc-" + std::to_string(i)));
    ASSERT_TRUE(ip.has_value());
    ASSERT_TRUE(got.insert(*ip).second);
    ASSERT_TRUE(pool.usable(*ip));
  }
  EXPECT_EQ(pool.used(), 30000u);
}

TEST(ServiceAlloc, NodePortPoolFillsTheRangeExactly) {
  NodePortPool pool(PortRange{30000, 32767});
  EXPECT_EQ(pool.size(), 2768u);
  EXPECT_EQ(pool.take(29999), Take::out_of_range);
  EXPECT_EQ(pool.take(32768), Take::out_of_range);
  EXPECT_EQ(pool.take(30080), Take::ok);
  EXPECT_EQ(pool.take(30080), Take::taken);
  std::set<uint16_t> got{30080};
  for (int i = 0; i < 2767; ++i) {
    auto p = pool.allocate(alloc_seed("default", "np-" + std::to_string(i)));
    ASSERT_TRUE(p.has_value()) << i;
    ASSERT_TRUE(got.insert(*p).second) << *p;
    ASSERT_TRUE(*p >= 30000 && *p <= 32767);
  }
  EXPECT_EQ(pool.allocate(1), std::nullopt);
  EXPECT_TRUE(pool.taken(30000));
  pool.release(31000);
  EXPECT_FALSE(pool.taken(31000));
  EXPECT_EQ(pool.allocate(99), 31000);
}

TEST(ServiceAlloc, Ipv6CidrIsCapped) {
  ClusterIpPool pool(P("fd00:96::/64"));
  EXPECT_EQ(pool.size(), uint64_t(1) << 24);
  EXPECT_FALSE(pool.usable(A("fd00:96::")));
  EXPECT_TRUE(pool.usable(A("fd00:96::1")));
  auto ip = pool.allocate(5);
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(pool.usable(*ip));
}

}  // namespace
}  // namespace podnet::cluster
