#include <gtest/gtest.h>

#include "podnet/net/ip.hpp"

using podnet::net::IpAddress;
using podnet::net::Prefix;

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(IpAddress::parse("10.1.2.3")->str(), "10.1.2.3");
  EXPECT_EQ(IpAddress::parse("fd00::1")->str(), "fd00::1");
  EXPECT_TRUE(IpAddress::parse("::ffff:10.0.0.1")->is_v4());
  EXPECT_FALSE(IpAddress::parse("10.1.2"));
  EXPECT_FALSE(IpAddress::parse("10.1.2.256"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("fd00::1::2"));
}

TEST(IpAddress, ArithmeticCarriesAndWraps) {
  auto a = *IpAddress::parse("10.0.0.255");
  EXPECT_EQ(a.next().str(), "10.0.1.0");
  EXPECT_EQ(a.next().prev(), a);
  EXPECT_EQ(IpAddress::parse("255.255.255.255")->next().str(), "0.0.0.0");
  EXPECT_EQ(IpAddress::parse("fd00::ffff")->plus(1).str(), "fd00::1:0");
  EXPECT_EQ(IpAddress::distance(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.1.1")),
            256u);
}

TEST(Prefix, NetworkLastContains) {
  auto p = *Prefix::parse("192.168.4.7/22");
  EXPECT_EQ(p.network().str(), "192.168.4.0");
  EXPECT_EQ(p.last().str(), "192.168.7.255");
  EXPECT_EQ(p.netmask().str(), "255.255.252.0");
  EXPECT_EQ(p.masked().str(), "192.168.4.0/22");
  EXPECT_TRUE(p.contains(*IpAddress::parse("192.168.6.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("192.168.8.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("fd00::1")));
  EXPECT_EQ(p.size(), 1024u);
  EXPECT_TRUE(Prefix::parse("10.0.0.0/8")->overlaps(*Prefix::parse("10.2.0.0/16")));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/16")->overlaps(*Prefix::parse("10.1.0.0/16")));
}

TEST(Prefix, RejectsBadText) {
  EXPECT_FALSE(Prefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/x"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0"));
  EXPECT_EQ(Prefix::parse("10.0.0.1", true)->length(), 32);
  EXPECT_EQ(Prefix::parse("fd00::/129"), std::nullopt);
}

TEST(Prefix, Subnets) {
  auto cluster = *Prefix::parse("192.168.0.0/16");
  EXPECT_EQ(cluster.subnet(24, 0)->str(), "192.168.0.0/24");
  EXPECT_EQ(cluster.subnet(24, 4)->str(), "192.168.4.0/24");
  EXPECT_EQ(cluster.subnet(24, 255)->str(), "192.168.255.0/24");
  EXPECT_FALSE(cluster.subnet(24, 256));
  EXPECT_FALSE(cluster.subnet(8, 0));
  EXPECT_EQ(Prefix::parse("fd00::/48")->subnet(64, 3)->str(), "fd00:0:0:3::/64");
}
