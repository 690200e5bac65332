#include "podnet/ipam/allocator.hpp"

#include <gtest/gtest.h>

#include "fake_store.hpp"
#include "podnet/ipam/errors.hpp"
#include "test_util.hpp"

namespace podnet::ipam::testing {
namespace {

IpamConfig conf(const std::string& ipam, const std::string& extra = "") {
  return parse_ok(netconf(ipam, extra));
}

std::string get(const IpamConfig& c, FakeStore& s, const char* id, size_t set = 0,
                std::optional<net::IpAddress> req = std::nullopt) {
  auto r = Allocator(c.range_sets[set], set, s).get(id, "eth0", req);
  return r ? r->address.str() : "error " + std::to_string(static_cast<int>(r.error().code));
}

TEST(Allocator, SequentialOrderMatchesHostLocal) {
  auto c = conf(R"({"subnet":"192.168.1.0/29"})");
  FakeStore s;
  for (int i = 2; i < 7; ++i)
    EXPECT_EQ(get(c, s, ("id" + std::to_string(i)).c_str()), fmt::format("192.168.1.{}/29", i));
  auto r = Allocator(c.range_sets[0], 0, s).get("id8", "eth0", std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::ipam_exhausted);
  EXPECT_EQ(r.error().msg, "no free address in range set 0 (ipam: 192.168.1.0/29)");
}

TEST(Allocator, ResultCarriesPrefixLengthAndGateway) {
  auto c = conf(
      R"({"ranges":[[{"subnet":"10.1.0.0/16","gateway":"10.1.0.254","rangeStart":"10.1.3.0"}]]})");
  FakeStore s;
  auto r = Allocator(c.range_sets[0], 0, s).get("a", "eth0", std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->address.str(), "10.1.3.0/16");
  EXPECT_EQ(r->gateway, ip("10.1.0.254"));
}

TEST(Allocator, RoundRobinDoesNotReuseAReleasedAddressAtOnce) {
  auto c = conf(R"({"subnet":"192.168.1.0/29"})");
  FakeStore s;
  EXPECT_EQ(get(c, s, "a"), "192.168.1.2/29");
  ASSERT_TRUE(s.release_by_id("a", "eth0"));
  EXPECT_EQ(get(c, s, "a"), "192.168.1.3/29");
}

TEST(Allocator, WrapsAroundAfterTheEnd) {
  auto c = conf(R"({"subnet":"10.0.0.0/29"})");
  FakeStore s;
  s.last[0] = ip("10.0.0.5");
  s.take("10.0.0.6");
  EXPECT_EQ(get(c, s, "a"), "10.0.0.2/29");
}

TEST(Allocator, TakesTheLastReservedWhenItIsTheOnlyFreeOne) {
  auto c = conf(R"({"subnet":"10.0.0.0/29"})");
  FakeStore s;
  s.last[0] = ip("10.0.0.3");
  for (const char* a : {"10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"}) s.take(a);
  EXPECT_EQ(get(c, s, "a"), "10.0.0.3/29");
}

TEST(Allocator, SkipsTakenAfterLastReserved) {
  auto c = conf(R"({"subnet":"10.0.0.0/29"})");
  FakeStore s;
  s.last[0] = ip("10.0.0.3");
  s.take("10.0.0.4");
  s.take("10.0.0.5");
  EXPECT_EQ(get(c, s, "a"), "10.0.0.6/29");
}

TEST(Allocator, SkipsTheGateway) {
  auto c = conf(R"({"ranges":[[{"subnet":"10.0.0.0/29","gateway":"10.0.0.3"}]]})");
  FakeStore s;
  EXPECT_EQ(get(c, s, "a"), "10.0.0.1/29");
  EXPECT_EQ(get(c, s, "b"), "10.0.0.2/29");
  EXPECT_EQ(get(c, s, "c"), "10.0.0.4/29");
}

TEST(Allocator, RequestedAddress) {
  auto c = conf(
      R"({"ranges":[[{"subnet":"192.168.1.0/29","rangeStart":"192.168.1.3","rangeEnd":"192.168.1.5"}]]})");
  FakeStore s;
  EXPECT_EQ(get(c, s, "a", 0, ip("192.168.1.5")), "192.168.1.5/29");
  // Taken: 104; outside start..end (before / after): 7.
  auto taken = Allocator(c.range_sets[0], 0, s).get("b", "eth0", ip("192.168.1.5"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, kAddressInUse);
  EXPECT_EQ(taken.error().msg,
            "requested address 192.168.1.5 of range set 0 (ipam.ranges[0]: 192.168.1.0/29) is in "
            "use by another container");
  EXPECT_EQ(get(c, s, "b", 0, ip("192.168.1.2")), "error 7");
  EXPECT_EQ(get(c, s, "b", 0, ip("192.168.1.6")), "error 7");
  EXPECT_EQ(get(c, s, "b", 0, ip("192.168.1.1")), "error 7");
}

TEST(Allocator, RefusesASecondAllocationForTheSameAttachment) {
  auto c = conf(R"({"subnet":"10.0.0.0/24"})");
  FakeStore s;
  EXPECT_EQ(get(c, s, "a"), "10.0.0.2/24");
  auto r = Allocator(c.range_sets[0], 0, s).get("a", "eth0", std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kAlreadyAllocated);
  EXPECT_EQ(r.error().msg,
            "container a interface eth0 already holds 10.0.0.2 in range set 0 (ipam: "
            "10.0.0.0/24); DEL it first");
  // Another interface of the same container is a different attachment.
  EXPECT_TRUE(Allocator(c.range_sets[0], 0, s).get("a", "net1", std::nullopt));
}

TEST(Allocator, StoreErrorsAreIoFailures) {
  auto c = conf(R"({"subnet":"10.0.0.0/24"})");
  FakeStore s;
  s.fail_reserve = true;
  auto r = Allocator(c.range_sets[0], 0, s).get("a", "eth0", std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::io_failure);
}

TEST(AllocateAll, DualStackOneAddressPerSet) {
  auto c = conf(R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/120"}]]})",
                R"("args":{"cni":{"ips":["fd00::42"]}})");
  FakeStore s;
  auto r = allocate_all(c, s, "a", "eth0");
  ASSERT_TRUE(r) << r.error().msg;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].address.str(), "10.1.0.2/24");
  EXPECT_EQ((*r)[1].address.str(), "fd00::42/120");
  EXPECT_EQ((*r)[1].gateway, ip("fd00::1"));
  EXPECT_EQ(s.last[1], ip("fd00::42"));
}

TEST(AllocateAll, FailureReleasesOnlyWhatThisCallReserved) {
  auto c = conf(R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.2.0.0/30"}]]})");
  FakeStore s;
  s.take("10.2.0.2");
  s.take("10.1.0.99", "a", "eth1");  // an earlier holding of the same container
  auto r = allocate_all(c, s, "a", "eth0");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::ipam_exhausted);
  EXPECT_EQ(r.error().msg, "no free address in range set 1 (ipam.ranges[1]: 10.2.0.0/30)");
  EXPECT_EQ(s.held.size(), 2u);  // 10.1.0.2 rolled back; the others untouched
  EXPECT_FALSE(s.held.count(ip("10.1.0.2")));
}

TEST(AllocateAll, LastReservedIsPerRangeSet) {
  auto c = conf(R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.2.0.0/24"}]]})");
  FakeStore s;
  s.last[1] = ip("10.2.0.50");
  auto r = allocate_all(c, s, "a", "eth0");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].address.address(), ip("10.1.0.2"));
  EXPECT_EQ((*r)[1].address.address(), ip("10.2.0.51"));
}

}  // namespace
}  // namespace podnet::ipam::testing
