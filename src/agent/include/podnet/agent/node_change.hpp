#pragma once
// How podnetd's parts tell the loop what changed about the node, and what the loop redoes for
// it. Pure, no I/O: the lease and the underlay each report a NodeChange; follow_ups() says
// which outputs depend on it (docs/contracts.md, podnetd's parts).
#include "podnet/agent/underlay.hpp"

namespace podnet::agent {

struct NodeChange {
  bool lease = false;     // a new lease: the node entry must be written under it again
  bool subnet = false;    // the lease came back with another pod subnet
  bool node_ip = false;   // the underlay's node address moved
  bool mtu = false;       // the underlay's MTU changed
  bool underlay = false;  // anything about the underlay changed (ifindex and addresses too)

  bool any() const { return lease || subnet || node_ip || mtu || underlay; }
  NodeChange& operator|=(const NodeChange& o);
  friend bool operator==(const NodeChange&, const NodeChange&) = default;
};

// What the loop redoes after a change. The masquerade table needs no flag of its own: it is a
// function of the subnet, so the full pass (and every retry) puts the wanted one in place.
struct FollowUps {
  bool full_pass = false;       // routes reconciled against the kernel (VTEP included)
  bool publish_node = false;    // the node entry rewritten (internalIP, podCIDR, lease)
  bool write_conflist = false;  // the conflist rewritten (subnet, MTU) for pods created from now
  friend bool operator==(const FollowUps&, const FollowUps&) = default;
};
FollowUps follow_ups(const NodeChange& c);

// What a new reading of the underlay changes for the node (nothing when it is the same).
NodeChange underlay_node_change(const Underlay& before, const Underlay& after);

}  // namespace podnet::agent
