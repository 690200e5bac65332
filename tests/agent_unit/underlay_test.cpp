#include <gtest/gtest.h>

#include "podnet/agent/underlay.hpp"

namespace podnet::agent {
namespace {

Underlay eth0() {
  return {.ifindex = 2,
          .mtu = 1500,
          .ip = *net::IpAddress::parse("10.1.1.11"),
          .addrs = {*net::Prefix::parse("10.1.1.11/24")}};
}

TEST(UnderlayChange, NothingChanged) {
  EXPECT_EQ(underlay_change(eth0(), eth0()), "");
}

TEST(UnderlayChange, NamesEachChange) {
  Underlay after = eth0();
  after.mtu = 9000;
  EXPECT_EQ(underlay_change(eth0(), after), "MTU 1500 -> 9000");
  after.ip = *net::IpAddress::parse("10.1.1.21");
  after.addrs = {*net::Prefix::parse("10.1.1.21/24")};
  after.ifindex = 7;
  EXPECT_EQ(underlay_change(eth0(), after),
            "ifindex 2 -> 7 (re-created), MTU 1500 -> 9000, node address 10.1.1.11 -> 10.1.1.21, "
            "addresses 10.1.1.11/24 -> 10.1.1.21/24");
  Underlay second = eth0();
  second.addrs.push_back(*net::Prefix::parse("10.2.0.11/16"));
  EXPECT_EQ(underlay_change(eth0(), second), "addresses 10.1.1.11/24 -> 10.1.1.11/24 10.2.0.11/16");
}

}  // namespace
}  // namespace podnet::agent
