#include <gtest/gtest.h>

#include "podnet/agent/local_state.hpp"

namespace podnet::agent {
namespace {

TEST(LocalState, SubnetAndMacFiles) {
  EXPECT_EQ(parse_subnet_state("192.168.4.0/24\n")->str(), "192.168.4.0/24");
  EXPECT_FALSE(parse_subnet_state("192.168.4.1/24"));
  EXPECT_FALSE(parse_subnet_state("garbage"));
  EXPECT_FALSE(parse_subnet_state(""));
  EXPECT_EQ(parse_mac_state(" 0a:bb:cc:dd:ee:ff\n")->str(), "0a:bb:cc:dd:ee:ff");
  EXPECT_FALSE(parse_mac_state("01:00:5e:00:00:01"));  // multicast
  EXPECT_FALSE(parse_mac_state("zz"));
  EXPECT_EQ(default_vtep_mac("lxb001"), default_vtep_mac("lxb001"));
  EXPECT_NE(default_vtep_mac("lxb001"), default_vtep_mac("lxb002"));
  EXPECT_TRUE(default_vtep_mac("lxb001").is_valid_unicast());
}

TEST(LocalState, ParseLeases) {
  std::vector<RawEntry> raw = {
      {"/podnet/subnets/192.168.1.0-24",
       R"({"metadata":{"name":"192.168.1.0-24"},"spec":{"cidr":"192.168.1.0/24","node":"a","internalIP":"10.1.1.15"}})",
       5, 7},
      {"/podnet/subnets/192.168.2.0-24", "not json", 6, 0},
      {"/podnet/subnets/192.168.3.0-24",
       R"({"metadata":{"name":"192.168.1.0-24"},"spec":{"cidr":"192.168.1.0/24","node":"b","internalIP":"10.1.1.16"}})",
       8, 0},
  };
  auto l = parse_leases(raw);
  ASSERT_EQ(l.leases.size(), 1u);
  EXPECT_EQ(l.leases[0].lease.node, "a");
  EXPECT_EQ(l.leases[0].mod_revision, 5);
  EXPECT_EQ(l.leases[0].lease_id, 7);
  ASSERT_EQ(l.bad.size(), 2u);
  EXPECT_TRUE(l.bad[0].starts_with("/podnet/subnets/192.168.2.0-24: not valid JSON: ")) << l.bad[0];
  EXPECT_NE(l.bad[1].find("does not match the key"), std::string::npos);
}

}  // namespace
}  // namespace podnet::agent
