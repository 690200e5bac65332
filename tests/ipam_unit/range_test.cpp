#include <gtest/gtest.h>

#include "podnet/ipam/allocator.hpp"
#include "test_util.hpp"

namespace podnet::ipam::testing {
namespace {

RangeSet set_of(const std::string& ranges_json) {
  auto c = parse_ok(netconf(R"({"ranges":[)" + ranges_json + "]}"));
  return c.range_sets.empty() ? RangeSet{} : c.range_sets[0];
}

std::vector<std::string> walk(const RangeSet& s, std::optional<net::IpAddress> last) {
  std::vector<std::string> out;
  RangeIter it(s, last);
  while (auto c = it.next()) out.push_back(c->ip.str());
  return out;
}

using V = std::vector<std::string>;

// The sequences host-local's RangeIter produces for a /29 (allocator_test.go's cases).
TEST(RangeIter, FromTheBeginning) {
  auto s = set_of(R"([{"subnet":"192.168.1.0/29"}])");
  EXPECT_EQ(walk(s, std::nullopt),
            (V{"192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"}));
}

TEST(RangeIter, FromTheEndWraps) {
  auto s = set_of(R"([{"subnet":"192.168.1.0/29"}])");
  EXPECT_EQ(walk(s, ip("192.168.1.6")),
            (V{"192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"}));
}

TEST(RangeIter, FromTheMiddleEndsWithTheLastReserved) {
  auto s = set_of(R"([{"subnet":"192.168.1.0/29"}])");
  EXPECT_EQ(walk(s, ip("192.168.1.3")),
            (V{"192.168.1.4", "192.168.1.5", "192.168.1.6", "192.168.1.2", "192.168.1.3"}));
}

TEST(RangeIter, LastReservedOutsideTheSetStartsOver) {
  auto s = set_of(R"([{"subnet":"192.168.1.0/29"}])");
  EXPECT_EQ(walk(s, ip("10.0.0.128")).front(), "192.168.1.2");
}

TEST(RangeIter, MovesAcrossRangesAndWraps) {
  auto s =
      set_of(R"([{"subnet":"10.0.0.0/30"},{"subnet":"10.0.1.0/30"},{"subnet":"10.0.2.0/30"}])");
  EXPECT_EQ(walk(s, std::nullopt), (V{"10.0.0.2", "10.0.1.2", "10.0.2.2"}));
  EXPECT_EQ(walk(s, ip("10.0.0.2")), (V{"10.0.1.2", "10.0.2.2", "10.0.0.2"}));
  EXPECT_EQ(walk(s, ip("10.0.2.2")), (V{"10.0.0.2", "10.0.1.2", "10.0.2.2"}));
}

TEST(RangeIter, SkipsGatewayInTheMiddleAndNetworkBroadcastWhenInRange) {
  auto s = set_of(
      R"([{"subnet":"10.0.0.0/29","rangeStart":"10.0.0.0","rangeEnd":"10.0.0.7","gateway":"10.0.0.4"}])");
  EXPECT_EQ(walk(s, std::nullopt), (V{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.6"}));
  EXPECT_EQ(s.allocatable_count(), 5u);
}

TEST(RangeIter, Ipv6KeepsTheLastAddress) {
  auto s = set_of(R"([{"subnet":"fd00::/126"}])");
  EXPECT_EQ(walk(s, std::nullopt), (V{"fd00::2", "fd00::3"}));
}

TEST(RangeSetCount, CountsAndFree) {
  auto s = set_of(R"([{"subnet":"10.0.0.0/24"},{"subnet":"10.0.1.0/30"}])");
  EXPECT_EQ(s.allocatable_count(), 253u + 1u);
  EXPECT_EQ(free_count(s, {}), 254u);
  // Reserved addresses outside the set, duplicates and the gateway do not count.
  EXPECT_EQ(free_count(s, {ip("10.0.0.2"), ip("10.0.0.2"), ip("10.0.1.2"), ip("10.9.0.1"),
                           ip("10.0.0.1")}),
            252u);
  auto big = set_of(R"([{"subnet":"fd00::/64"}])");
  EXPECT_EQ(big.allocatable_count(), UINT64_MAX - 1);  // 2^64 - network - gateway
  EXPECT_EQ(set_of(R"([{"subnet":"fd00::/60"}])").allocatable_count(), UINT64_MAX);  // saturates
  EXPECT_GT(free_count(big, {ip("fd00::2")}), 0u);
}

}  // namespace
}  // namespace podnet::ipam::testing
