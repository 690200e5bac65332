// The VXLAN part of a walk: from the route onto the VTEP to the far node's VTEP that
// decapsulates, with the neighbour and FDB entries that decided it.
#include <fmt/format.h>

#include <algorithm>

#include "walk.hpp"

namespace podnet::trace::detail {

// Encapsulation on `dev` toward `nexthop`: neighbour -> VTEP MAC, FDB -> remote VTEP, the
// underlay route to it, and the remote VTEP that decapsulates. The next namespace, or none
// after a drop.
std::optional<std::string> Walk::vxlan_hop(const Namespace& ns, const Link& dev,
                                           const net::IpAddress& nexthop) {
  const VxlanFact& v = get_.vxlan(ns.netns, dev.name);
  auto n = std::find_if(v.neighs.begin(), v.neighs.end(),
                        [&](const VxlanNeigh& x) { return x.ip == nexthop && !x.mac.empty(); });
  if (n == v.neighs.end()) {
    drop(ns, "vxlan", fmt::format("no neighbour entry for {} on {}", nexthop.str(), dev.name),
         fmt::format("neigh {} dev {}: missing", nexthop.str(), dev.name));
    return std::nullopt;
  }
  auto e = std::find_if(v.fdb.begin(), v.fdb.end(),
                        [&](const VxlanFdb& x) { return x.mac == n->mac && x.dst; });
  if (e == v.fdb.end()) {
    drop(ns, "vxlan", fmt::format("no FDB entry for VTEP MAC {} on {}", n->mac, dev.name),
         fmt::format("neigh {} lladdr {}; fdb {} dev {}: missing", nexthop.str(), n->mac, n->mac,
                     dev.name));
    return std::nullopt;
  }
  const net::IpAddress vtep = *e->dst;
  hop(ns, "vxlan",
      fmt::format("encapsulated by {} (vni {}): {} is VTEP {} at {}", dev.name, dev.vni,
                  nexthop.str(), n->mac, vtep.str()),
      fmt::format("neigh {} lladdr {} dev {}; fdb {} dst {}", nexthop.str(), n->mac, dev.name,
                  n->mac, vtep.str()));
  // The outer packet: sent from this node to the VTEP over the underlay.
  const RouteFact& u = get_.route(RouteKey{ns.netns, vtep, std::nullopt, ""});
  if (!u.error.empty()) {
    drop(ns, "underlay", fmt::format("no underlay route to VTEP {}: {}", vtep.str(), u.error),
         fmt::format("route lookup (RTM_GETROUTE {})", vtep.str()));
    return std::nullopt;
  }
  const Link* ul = ns.link(u.oif);
  if (!ul || !ul->up) {
    drop(ns, "underlay",
         fmt::format("the underlay route to {} uses {}, which is {}", vtep.str(),
                     ul ? ul->name : fmt::format("ifindex {}", u.oif), ul ? "DOWN" : "missing"),
         u.text);
    return std::nullopt;
  }
  const net::IpAddress unh = u.gw ? *u.gw : vtep;
  auto host = f_.cluster.underlay.find(unh);
  auto owner = f_.cluster.underlay.find(vtep);
  if (host == f_.cluster.underlay.end() || owner == f_.cluster.underlay.end() || host != owner) {
    drop(ns, "underlay", fmt::format("VTEP {} is no lab node (next hop {})", vtep.str(), unh.str()),
         u.text);
    return std::nullopt;
  }
  const Namespace& next = get_.ns(host->second);
  hop(ns, "underlay",
      fmt::format("VXLAN/UDP {} -> {} over {} to {}", first_v4(*ul) ? first_v4(*ul)->str() : "?",
                  vtep.str(), ul->name, next.label),
      u.text);
  const Link* in = next.link(next.underlay);
  if (!in || !in->up) {
    drop(next, "underlay",
         fmt::format("{}'s underlay link {} is {}", next.label, next.underlay,
                     in ? "DOWN" : "missing"),
         next.underlay);
    return std::nullopt;
  }
  const Link* remote = next.link(dev.name);
  if (!remote || remote->kind != "vxlan") {
    drop(next, "vxlan", fmt::format("{} has no VXLAN device {}", next.label, dev.name), dev.name);
    return std::nullopt;
  }
  if (!remote->up) {
    drop(next, "vxlan", fmt::format("{} is DOWN", remote->name), remote->name);
    return std::nullopt;
  }
  if (remote->vni != dev.vni) {
    drop(next, "vxlan",
         fmt::format("{} has vni {}, the packet {}", remote->name, remote->vni, dev.vni),
         remote->name);
    return std::nullopt;
  }
  if (!remote->mac.empty() && remote->mac != n->mac) {
    drop(next, "vxlan",
         fmt::format("the inner frame is for {} but {}'s {} has MAC {}: not for this host", n->mac,
                     next.label, remote->name, remote->mac),
         fmt::format("neigh {} lladdr {} on {}", nexthop.str(), n->mac, ns.label));
    return std::nullopt;
  }
  hop(next, "vxlan",
      fmt::format("decapsulated by {} (vni {}, MAC {})", remote->name, remote->vni, remote->mac),
      fmt::format("{} vxlan id {}", remote->name, remote->vni));
  return next.netns;
}
}  // namespace podnet::trace::detail
