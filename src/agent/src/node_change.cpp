#include "podnet/agent/node_change.hpp"

namespace podnet::agent {

NodeChange& NodeChange::operator|=(const NodeChange& o) {
  lease = lease || o.lease;
  subnet = subnet || o.subnet;
  node_ip = node_ip || o.node_ip;
  mtu = mtu || o.mtu;
  underlay = underlay || o.underlay;
  return *this;
}

FollowUps follow_ups(const NodeChange& c) {
  return FollowUps{.full_pass = c.subnet || c.underlay || c.node_ip || c.mtu,
                   .publish_node = c.lease || c.subnet || c.node_ip,
                   .write_conflist = c.subnet || c.mtu};
}

NodeChange underlay_node_change(const Underlay& before, const Underlay& after) {
  return NodeChange{.node_ip = before.ip != after.ip,
                    .mtu = before.mtu != after.mtu,
                    .underlay = before != after};
}

}  // namespace podnet::agent
