// The bridge part of a walk (podnetd --mode bridge): pods' host veths are ports of a node
// bridge that holds the pods' gateway address. A frame from a pod is either for the bridge's
// own MAC (the gateway: up to the node's IP stack, which routes it) or for another pod of the
// bridge (switched at L2 by the FDB, never routed); the node reaches its pods through the
// bridge device the same way. Ports are checked as the bridge checks them: enslaved, up,
// forwarding.
#include <fmt/format.h>

#include <algorithm>

#include "walk.hpp"

namespace podnet::trace::detail {
namespace {

// "MAC dev PORT master BR [state]", as `bridge fdb show` prints an entry.
std::string fdb_text(const Namespace& ns, const Link& br, const BridgeFdb& e) {
  const Link* port = ns.link(e.port);
  return fmt::format("fdb {} dev {} master {}{}", e.mac,
                     port ? port->name : fmt::format("if{}", e.port), br.name,
                     e.state.empty() ? "" : " " + e.state);
}

// The bridge whose subnet holds `a` (its address prefix contains it), if any.
const Link* bridge_for(const Namespace& ns, const net::IpAddress& a) {
  for (const auto& l : ns.links)
    if (l.kind == "bridge")
      for (const auto& p : l.addrs)
        if (p.masked().contains(a)) return &l;
  return nullptr;
}

std::string address_of(const Link& l, const net::IpAddress& a) {
  for (const auto& p : l.addrs)
    if (p.address() == a || p.masked().contains(a)) return p.str();
  return a.str();
}

// What the node's ip hooks see of frames switched between ports.
std::string netfilter_note(const BridgeFact& bf) {
  if (!bf.netfilter) return "; the node's ip hooks never see it (no br_netfilter)";
  return *bf.netfilter ? "; br_netfilter: the node's ip hooks see it too"
                       : "; the node's ip hooks do not see it (br_netfilter off)";
}

}  // namespace

std::optional<std::string> Walk::port_problem(const Link& br, const Link& port,
                                              const std::string& owner) {
  if (!br.up) return fmt::format("bridge {} is DOWN", br.name);
  if (!port.up) return fmt::format("{}host veth {} is DOWN", owner, port.name);
  if (!port.port_state.empty() && port.port_state != "forwarding")
    return fmt::format("{}host veth {} is a port of {} in state {}, not forwarding", owner,
                       port.name, br.name, port.port_state);
  return std::nullopt;
}

std::optional<Walk::Next> Walk::enter(const Arrival& a, const net::IpAddress& l2dst) {
  const Namespace& ns = *a.ns;
  const Link& in = *a.in;
  const Link* br = in.master ? ns.link(in.master) : nullptr;
  if (!br || br->kind != "bridge") {
    // A pod veth outside the bridge that serves its subnet (detached by hand: `nomaster`): the
    // frames the pod sends to the gateway or its neighbours are for MACs that are not this
    // link's, so nothing here takes them. A routed (ptp) veth holds the gateway itself.
    const Link* holder =
        ns.role == Role::node && !in.master && in.addrs.empty() ? bridge_for(ns, l2dst) : nullptr;
    if (!holder) return Next{ns.netns, in.name};
    drop(ns, "bridge",
         fmt::format("{} is not a port of bridge {} (no master): the frame for {} is not switched",
                     in.name, holder->name, l2dst.str()),
         fmt::format("{} (no master); {} inet {}", in.name, holder->name,
                     address_of(*holder, l2dst)));
    return std::nullopt;
  }
  if (auto bad = port_problem(*br, in, "")) {
    drop(ns, "bridge", *bad, fmt::format("{} master {}", in.name, br->name));
    return std::nullopt;
  }
  if (br->holds(l2dst)) {
    // The gateway is the bridge's own address: the frame is for its MAC, a local FDB entry.
    const BridgeFact& bf = get_.bridge(ns.netns, br->name);
    const BridgeFdb* own = bf.find(br->mac);
    hop(ns, "bridge",
        fmt::format("{} -> {} ({} port): for {}'s own MAC {} (gateway {}): up to {}'s IP stack",
                    in.name, br->name, in.port_state.empty() ? "?" : in.port_state, br->name,
                    br->mac, l2dst.str(), ns.label),
        own ? fdb_text(ns, *br, *own)
            : fmt::format("{} inet {} lladdr {}", br->name, address_of(*br, l2dst), br->mac));
    return Next{ns.netns, br->name};
  }
  auto to = switch_frame(ns, *br, &in, l2dst);
  if (!to) return std::nullopt;
  return Next{to->ns->netns, to->in->name};
}

std::optional<Walk::Arrival> Walk::switch_frame(const Namespace& ns, const Link& br,
                                                const Link* ingress, const net::IpAddress& l2dst) {
  // The frame's destination MAC is what ARP for l2dst answers: the eth0 of the pod holding it.
  auto pod = f_.cluster.pods.find(l2dst);
  const Namespace* pns = pod == f_.cluster.pods.end() ? nullptr : &get_.ns(pod->second);
  const Link* eth0 = pns ? pns->link("eth0") : nullptr;
  if (!pns || !eth0 || pns->node != ns.netns) {
    drop(ns, "bridge",
         fmt::format("{} is no pod of {}: nothing on {} answers ARP for it", l2dst.str(), ns.label,
                     br.name),
         fmt::format("{} inet {}", br.name, address_of(br, l2dst)));
    return std::nullopt;
  }
  const std::string owner = pns->label + "'s ";
  const BridgeFact& bf = get_.bridge(ns.netns, br.name);
  const Link* host = ns.link(eth0->peer);
  const BridgeFdb* e = bf.find(eth0->mac);
  std::string by =
      e ? fdb_text(ns, br, *e)
        : fmt::format("no fdb entry for {} on {}: flooded to every port", eth0->mac, br.name);
  if (!host) {
    drop(ns, "bridge",
         fmt::format("{}veth peer ifindex {} is not in {}", owner, eth0->peer, ns.label), by);
    return std::nullopt;
  }
  if (host->master != br.index) {
    const Link* other = ns.link(host->master);
    drop(ns, "bridge",
         fmt::format("{}host veth {} is not a port of {} ({}): the frame for {} cannot reach it",
                     owner, host->name, br.name,
                     other ? "its master is " + other->name : std::string("no master"), eth0->mac),
         by);
    return std::nullopt;
  }
  if (e && e->port != host->index) {
    const Link* port = ns.link(e->port);
    drop(ns, "bridge",
         fmt::format("the FDB sends {} ({}eth0) to {}, not to its host veth {}", eth0->mac, owner,
                     port ? port->name : fmt::format("if{}", e->port), host->name),
         by);
    return std::nullopt;
  }
  if (auto bad = port_problem(br, *host, owner)) {
    drop(ns, "bridge", *bad, by);
    return std::nullopt;
  }
  if (ingress && ingress->index == host->index && !host->hairpin) {
    drop(ns, "bridge",
         fmt::format("{} would send the frame back out of {}, its ingress port, and hairpin "
                     "mode is off",
                     br.name, host->name),
         by);
    return std::nullopt;
  }
  hop(ns, "bridge",
      fmt::format("switched (L2) by {}: {} -> {} (MAC {} of {}eth0){}", br.name,
                  ingress ? ingress->name : br.name, host->name, eth0->mac, owner,
                  ingress ? netfilter_note(bf) : ""),
      by);
  return cross_veth(ns, *host);
}

}  // namespace podnet::trace::detail
