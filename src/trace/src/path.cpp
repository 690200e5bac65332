// Path assembly: walks the packet through the namespaces the facts describe, one kernel
// decision per hop. Where the kernel's decision differs from what the cluster wants (a pod
// subnet routed by the default route, a pod's veth that is down), the hop that differs is
// reported as the drop, since that is where the path broke.
#include <fmt/format.h>

#include <algorithm>

#include "walk.hpp"

namespace podnet::trace {
namespace detail {
namespace {

constexpr int kMaxHops = 40;

template <typename Map, typename Key>
const auto& find_or_ask(const Map& m, const Key& k, FactRequest ask) {
  auto it = m.find(k);
  if (it == m.end()) throw Missing{std::move(ask)};
  return it->second;
}

}  // namespace

const Namespace& Lookup::ns(const std::string& name) const {
  return find_or_ask(f.namespaces, name, NeedNamespace{name});
}
const RouteFact& Lookup::route(const RouteKey& k) const {
  return find_or_ask(f.routes, k, k);
}
const PeerFact& Lookup::peer(const PeerKey& k) const {
  return find_or_ask(f.peers, k, k);
}
const VxlanFact& Lookup::vxlan(const std::string& netns, const std::string& dev) const {
  return find_or_ask(f.vxlan, std::pair{netns, dev}, NeedVxlan{netns, dev});
}
const BridgeFact& Lookup::bridge(const std::string& netns, const std::string& dev) const {
  return find_or_ask(f.bridges, std::pair{netns, dev}, NeedBridge{netns, dev});
}
const NatFact& Lookup::nat(const NatKey& k) const {
  return find_or_ask(f.nat, k, k);
}
const MasqFact& Lookup::masq(const std::string& netns) const {
  return find_or_ask(f.masq, netns, NeedMasq{netns});
}

std::string endpoint_str(const net::IpAddress& ip, Proto p, uint16_t port) {
  if (p == Proto::icmp || port == 0) return ip.str();
  return fmt::format("{}:{}", ip.str(), port);
}

Path Walk::run() {
  pkt_ = q_.packet;
  std::string netns = q_.from_netns;
  std::string iif;  // empty: the packet is sent from this namespace
  bool dnat_done = false, masq_mark = false;
  for (int guard = 0; guard < kMaxHops; ++guard) {
    const Namespace& ns = get_.ns(netns);
    if (!pkt_.src && iif.empty()) {
      // The source the kernel picks for a packet sent from here.
      const RouteFact& r = get_.route(RouteKey{netns, pkt_.dst, std::nullopt, ""});
      if (r.prefsrc) pkt_.src = r.prefsrc;
    }
    // Service DNAT: nat prerouting (received) or nat output (sent from a node), once per flow.
    if (ns.role == Role::node && !dnat_done) {
      const NatFact& nat = get_.nat(NatKey{netns, pkt_.dst, pkt_.proto, pkt_.port});
      if (nat.action == NatAction::dnat) {
        if (nat.endpoints.empty())
          return drop(ns, "dnat", "the service's dispatch element has no endpoint elements",
                      nat.element);
        const NatEndpoint& ep = nat.endpoints.front();
        std::string picks;
        for (const auto& e : nat.endpoints)
          picks += (picks.empty() ? "" : ", ") + endpoint_str(e.ip, pkt_.proto, e.port);
        hop(ns, "dnat",
            fmt::format("{} {} -> {}{} (picks one of {}: {}){}", to_string(pkt_.proto),
                        endpoint_str(pkt_.dst, pkt_.proto, pkt_.port),
                        endpoint_str(ep.ip, pkt_.proto, ep.port),
                        nat.service.empty() ? "" : " service " + nat.service, nat.endpoints.size(),
                        picks, nat.endpoints.size() > 1 ? "; following the first" : ""),
            nat.element + "; " + ep.element);
        pkt_.dst = ep.ip;
        pkt_.port = ep.port;
        dnat_done = true;
        masq_mark = service_masquerades(nat);
      } else if (nat.action == NatAction::reject) {
        return drop(ns, "dnat",
                    fmt::format("rejected: service{} has no ready endpoints",
                                nat.service.empty() ? "" : " " + nat.service),
                    nat.element);
      } else if (nat.action == NatAction::drop) {
        return drop(ns, "dnat",
                    fmt::format("dropped by the service dispatch{}",
                                nat.service.empty() ? "" : " of " + nat.service),
                    nat.element);
      } else if (nat.cluster_ip) {
        return drop(ns, "dnat",
                    fmt::format("rejected: ClusterIP {} has no {} port {}", pkt_.dst.str(),
                                to_string(pkt_.proto), pkt_.port),
                    "service-checks: ip daddr @cluster-ips reject");
      } else if (nat.table && f_.cluster.service_cidr &&
                 f_.cluster.service_cidr->contains(pkt_.dst)) {
        return drop(ns, "dnat",
                    fmt::format("dropped: no Service has {} (service CIDR {})", pkt_.dst.str(),
                                f_.cluster.service_cidr->str()),
                    fmt::format("service-checks: ip daddr {} drop", f_.cluster.service_cidr->str()));
      }
    }

    const RouteFact& r = get_.route(RouteKey{netns, pkt_.dst, pkt_.src, iif});
    if (!r.error.empty())
      return drop(ns, "route",
                  fmt::format("no route to {}: {}{}", pkt_.dst.str(), r.error, down_links(ns)),
                  fmt::format("route lookup (RTM_GETROUTE {}{}{})", pkt_.dst.str(),
                              pkt_.src ? " from " + pkt_.src->str() : "",
                              iif.empty() ? "" : " iif " + iif));
    if (r.local) {
      hop(ns, "deliver", fmt::format("{} is a local address: delivered", pkt_.dst.str()), r.text);
      return finish(true, fmt::format("delivered to {} in {}",
                                      endpoint_str(pkt_.dst, pkt_.proto, pkt_.port), ns.label));
    }
    const Link* out = ns.link(r.oif);
    if (!out)
      return drop(ns, "route", fmt::format("the route names ifindex {}, not a link here", r.oif),
                  r.text);
    const net::IpAddress nexthop = r.gw ? *r.gw : pkt_.dst;
    if (auto broken = cluster_route_problem(ns, r, *out)) return drop(ns, "route", *broken, r.text);
    hop(ns, "route",
        fmt::format("to {}{} dev {}", pkt_.dst.str(), r.gw ? " via " + r.gw->str() : "", out->name),
        r.text);
    if (!out->up) return drop(ns, "route", fmt::format("{} is DOWN", out->name), out->name);

    // Masquerade in nat postrouting of a node: the Service mark first, then podnetd's table.
    if (ns.role == Role::node && pkt_.src) {
      std::optional<std::string> by;
      if (dnat_done && *pkt_.src == pkt_.dst) {
        // A pod reaching itself through a Service: its own address would come back to it.
        by = "nat-postrouting: ct status dnat ip saddr . ip daddr @hairpin masquerade "
             "fully-random";
        masq_mark = false;
      } else if (masq_mark) {
        by = "nat-postrouting: meta mark & 0x00004000 == 0x00004000 masquerade (service mark)";
        masq_mark = false;
      } else if (const MasqFact& m = get_.masq(netns); m.table) {
        if (auto hit = match_masq(m.rules, *pkt_.src, pkt_.dst); hit && hit->masquerade)
          by = "ip podnet postrouting: " + hit->rule;
      }
      if (by) {
        auto addr = masquerade_source(ns, *out);
        if (!addr)
          return drop(ns, "snat",
                      fmt::format("masquerade, but {} has no IPv4 address to use", out->name), *by);
        hop(ns, "snat",
            fmt::format("source {} -> {} (masquerade out {})", pkt_.src->str(), addr->str(),
                        out->name),
            *by);
        pkt_.src = *addr;
      }
    }

    if (!ns.underlay.empty() && out->name == ns.underlay) {
      // Across the lab switch to the host that holds the next hop.
      auto host = f_.cluster.underlay.find(nexthop);
      if (host == f_.cluster.underlay.end())
        return drop(
            ns, "underlay",
            fmt::format("next hop {} is no lab host: the packet leaves the lab", nexthop.str()),
            r.text);
      const Namespace& next = get_.ns(host->second);
      const Link* in = next.link(next.underlay);
      if (!in || !in->up)
        return drop(next, "underlay",
                    fmt::format("{}'s underlay link {} is {}", next.label, next.underlay,
                                in ? "DOWN" : "missing"),
                    next.underlay);
      hop(ns, "underlay",
          fmt::format("over the lab switch to {} ({}) on {}", next.label, nexthop.str(),
                      next.underlay),
          fmt::format("{} {}", out->name, r.gw ? "gateway " + r.gw->str() : "on-link"));
      netns = next.netns;
      iif = next.underlay;
      continue;
    }
    if (out->kind == "vxlan") {
      auto next = vxlan_hop(ns, *out, nexthop);
      if (!next) return path_;
      netns = *next;
      iif = out->name;
      continue;
    }
    if (out->kind == "veth") {
      auto a = cross_veth(ns, *out);
      if (!a) return path_;
      // The frame is addressed to the next hop's MAC: a bridge on the far side switches on it.
      auto next = enter(*a, nexthop);
      if (!next) return path_;
      netns = next->netns;
      iif = next->iif;
      continue;
    }
    if (out->kind == "bridge") {
      auto a = switch_frame(ns, *out, nullptr, nexthop);
      if (!a) return path_;
      netns = a->ns->netns;
      iif = a->in->name;
      continue;
    }
    return drop(ns, "route",
                fmt::format("leaves by {} ({}), a link trace does not follow", out->name,
                            out->kind.empty() ? "no kind" : out->kind),
                r.text);
  }
  return drop(get_.ns(q_.from_netns), "route",
              fmt::format("more than {} hops: a routing loop?", kMaxHops), "");
}

bool Walk::service_masquerades(const NatFact& nat) const {
  if (nat.chain.starts_with("np-pick-") || nat.chain.starts_with("affn-")) return true;
  if (nat.chain.starts_with("pick-") || nat.chain.starts_with("aff-") ||
      nat.chain.starts_with("affx-"))
    return pkt_.src && f_.cluster.cluster_cidr && !f_.cluster.cluster_cidr->contains(*pkt_.src);
  return false;
}

std::optional<net::IpAddress> Walk::first_v4(const Link& l) {
  for (const auto& a : l.addrs)
    if (a.is_v4()) return a.address();
  return std::nullopt;
}

// The address masquerade gives the packet: the output link's, else (as the kernel's
// inet_select_addr) one of the namespace's other links, the underlay first.
std::optional<net::IpAddress> Walk::masquerade_source(const Namespace& ns, const Link& out) {
  if (auto a = first_v4(out)) return a;
  if (const Link* u = ns.link(ns.underlay); u && u->up)
    if (auto a = first_v4(*u)) return a;
  for (const auto& l : ns.links)
    if (l.up && l.name != "lo")
      if (auto a = first_v4(l)) return a;
  return std::nullopt;
}

std::string Walk::down_links(const Namespace& ns) {
  std::string s;
  for (const auto& l : ns.links)
    if (!l.up && l.name != "lo") s += (s.empty() ? "" : ", ") + l.name;
  return s.empty() ? "" : " (" + s + " DOWN)";
}

// A node's route that contradicts the cluster: a pod address of this node that does not go
// to a pod veth, or another node's pod subnet without a route of its own.
std::optional<std::string> Walk::cluster_route_problem(const Namespace& ns, const RouteFact& r,
                                                       const Link& out) {
  if (ns.role != Role::node || !f_.cluster.cluster_cidr ||
      !f_.cluster.cluster_cidr->contains(pkt_.dst))
    return std::nullopt;
  auto owner = std::find_if(f_.cluster.pod_subnets.begin(), f_.cluster.pod_subnets.end(),
                            [&](const auto& s) { return s.first.contains(pkt_.dst); });
  if (owner == f_.cluster.pod_subnets.end()) return std::nullopt;
  if (owner->second == ns.netns) {
    // A pod veth (ptp) or the bridge holding the pods (bridge mode): that hop checks the port.
    if ((out.kind == "veth" || out.kind == "bridge") && out.name != ns.underlay)
      return std::nullopt;
    std::string why = fmt::format("{} is in this node's pod subnet {} but the route leaves by {}",
                                  pkt_.dst.str(), owner->first.str(), out.name);
    auto pod = f_.cluster.pods.find(pkt_.dst);
    if (pod == f_.cluster.pods.end()) return why + " (no pod has that address)";
    const Namespace& pns = get_.ns(pod->second);
    const Link* eth0 = pns.link("eth0");
    if (!eth0) return why + fmt::format(" ({} has no eth0)", pns.label);
    const Link* host = ns.link(eth0->peer);
    if (!host)
      return why + fmt::format(" ({}'s veth peer ifindex {} is not here)", pns.label, eth0->peer);
    if (!host->up)
      return why + fmt::format(": {}'s host veth {} is DOWN (the kernel removed its route)",
                               pns.label, host->name);
    if (const Link* br = ns.link(host->master); br && br->kind == "bridge" && !br->up)
      return why + fmt::format(
                       ": {}'s host veth {} is a port of {}, which is DOWN (the kernel "
                       "removed its route)",
                       pns.label, host->name, br->name);
    return why + fmt::format(": no route to {}'s host veth {}", pns.label, host->name);
  }
  if (r.prefix.length() < owner->first.length()) {
    return fmt::format("no route for {}'s pod subnet {}: the lookup fell through to \"{}\"",
                       get_.ns(owner->second).label, owner->first.str(), r.text);
  }
  return std::nullopt;
}

std::optional<Walk::Arrival> Walk::cross_veth(const Namespace& ns, const Link& out) {
  const PeerFact& p = get_.peer(PeerKey{ns.netns, out.index});
  if (p.netns.empty()) {
    drop(ns, "veth",
         fmt::format("the peer of veth {} (ifindex {}) is in no namespace podnet knows", out.name,
                     out.peer),
         fmt::format("{}@if{}", out.name, out.peer));
    return std::nullopt;
  }
  const Namespace& next = get_.ns(p.netns);
  const Link* in = next.link(p.ifindex);
  if (!in) {
    drop(ns, "veth", fmt::format("veth peer ifindex {} not found in {}", p.ifindex, next.label),
         fmt::format("{}@if{}", out.name, out.peer));
    return std::nullopt;
  }
  if (!in->up) {
    drop(next, "veth", fmt::format("{} (peer of {} in {}) is DOWN", in->name, out.name, ns.label),
         fmt::format("{}@if{}", in->name, in->peer));
    return std::nullopt;
  }
  hop(ns, "veth", fmt::format("{} -> {} in {}", out.name, in->name, next.label),
      fmt::format("veth pair {}@if{} <-> {}@if{}", out.name, out.peer, in->name, in->peer));
  return Arrival{&next, in};
}

void Walk::hop(const Namespace& ns, std::string step, std::string what, std::string by) {
  path_.hops.push_back(Hop{static_cast<int>(path_.hops.size()) + 1, ns.netns, ns.label,
                           std::move(step), std::move(what), std::move(by)});
}
Path Walk::drop(const Namespace& ns, std::string step, std::string why, std::string by) {
  hop(ns, "drop", step + ": " + why, std::move(by));
  return finish(false, why);
}
Path Walk::finish(bool delivered, std::string reason) {
  const Hop& last = path_.hops.back();
  path_.verdict = Verdict{delivered, last.n, last.where, std::move(reason)};
  path_.delivered_as = pkt_;
  return path_;
}

}  // namespace detail

std::string_view to_string(Proto p) {
  switch (p) {
    case Proto::tcp:
      return "tcp";
    case Proto::udp:
      return "udp";
    case Proto::icmp:
      return "icmp";
  }
  return "?";
}

const Link* Namespace::link(int index) const {
  for (const auto& l : links)
    if (l.index == index) return &l;
  return nullptr;
}
bool Link::holds(const net::IpAddress& a) const {
  return std::any_of(addrs.begin(), addrs.end(),
                     [&](const net::Prefix& p) { return p.address() == a; });
}

const BridgeFdb* BridgeFact::find(std::string_view mac) const {
  for (const auto& e : fdb)
    if (e.mac == mac) return &e;
  return nullptr;
}

const Link* Namespace::link(std::string_view name) const {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

std::string describe(const FactRequest& r) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, NeedNamespace>) return "namespace " + x.netns;
        if constexpr (std::is_same_v<T, RouteKey>)
          return fmt::format("route {} {}{}{}", x.netns, x.dst.str(),
                             x.src ? " from " + x.src->str() : "",
                             x.iif.empty() ? "" : " iif " + x.iif);
        if constexpr (std::is_same_v<T, PeerKey>)
          return fmt::format("veth peer {} #{}", x.netns, x.ifindex);
        if constexpr (std::is_same_v<T, NeedVxlan>)
          return fmt::format("vxlan {} {}", x.netns, x.device);
        if constexpr (std::is_same_v<T, NatKey>)
          return fmt::format("nat {} {} {} {}", x.netns, x.dst.str(), to_string(x.proto), x.port);
        if constexpr (std::is_same_v<T, NeedMasq>) return "masquerade " + x.netns;
        if constexpr (std::is_same_v<T, NeedBridge>)
          return fmt::format("bridge {} {}", x.netns, x.device);
        return "?";
      },
      r);
}

std::variant<Path, FactRequest> assemble(const TraceQuery& q, const Facts& f) {
  try {
    return detail::Walk(q, f).run();
  } catch (const detail::Missing& m) {
    return m.request;
  }
}

}  // namespace podnet::trace
