#include <gtest/gtest.h>

#include "podnet/agent/node_change.hpp"

namespace podnet::agent {
namespace {

Underlay eth0() {
  return {.ifindex = 2,
          .mtu = 1500,
          .ip = *net::IpAddress::parse("10.1.1.11"),
          .addrs = {*net::Prefix::parse("10.1.1.11/24")}};
}

TEST(FollowUps, NothingChangedNothingToDo) {
  EXPECT_FALSE(NodeChange{}.any());
  EXPECT_EQ(follow_ups(NodeChange{}), FollowUps{});
}

// The lease re-acquired with the same subnet: only the node entry, written under the new lease.
TEST(FollowUps, NewLeaseSameSubnetRepublishesOnly) {
  EXPECT_EQ(follow_ups({.lease = true}), (FollowUps{.publish_node = true}));
}

// Another subnet: routes (our pod CIDR is in the plan), the node entry, the conflist.
TEST(FollowUps, NewSubnetRedoesEverything) {
  EXPECT_EQ(follow_ups({.lease = true, .subnet = true}),
            (FollowUps{.full_pass = true, .publish_node = true, .write_conflist = true}));
}

TEST(FollowUps, UnderlayChanges) {
  // The MTU: the VTEP's and the conflist's; the node entry does not carry it.
  auto mtu = underlay_node_change(eth0(), [] {
    auto u = eth0();
    u.mtu = 9000;
    return u;
  }());
  EXPECT_EQ(mtu, (NodeChange{.mtu = true, .underlay = true}));
  EXPECT_EQ(follow_ups(mtu), (FollowUps{.full_pass = true, .write_conflist = true}));
  // The address: the node entry peers route to, and the VTEP's local address.
  auto moved = eth0();
  moved.ip = *net::IpAddress::parse("10.1.1.21");
  moved.addrs = {*net::Prefix::parse("10.1.1.21/24")};
  auto ip = underlay_node_change(eth0(), moved);
  EXPECT_EQ(ip, (NodeChange{.node_ip = true, .underlay = true}));
  EXPECT_EQ(follow_ups(ip), (FollowUps{.full_pass = true, .publish_node = true}));
  // Re-created (new ifindex) or a second address: routes only (VTEP lower device, on-link).
  auto recreated = eth0();
  recreated.ifindex = 7;
  EXPECT_EQ(follow_ups(underlay_node_change(eth0(), recreated)), (FollowUps{.full_pass = true}));
  auto second = eth0();
  second.addrs.push_back(*net::Prefix::parse("10.2.0.11/16"));
  EXPECT_EQ(follow_ups(underlay_node_change(eth0(), second)), (FollowUps{.full_pass = true}));
  EXPECT_FALSE(underlay_node_change(eth0(), eth0()).any());
}

TEST(FollowUps, ChangesCombine) {
  NodeChange c{.lease = true};
  c |= NodeChange{.mtu = true, .underlay = true};
  EXPECT_EQ(c, (NodeChange{.lease = true, .mtu = true, .underlay = true}));
  EXPECT_EQ(follow_ups(c),
            (FollowUps{.full_pass = true, .publish_node = true, .write_conflist = true}));
}

}  // namespace
}  // namespace podnet::agent
