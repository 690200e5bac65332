#include "podnet/routes/plan.hpp"

#include <linux/neighbour.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace podnet::routes {

std::string vtep_name(uint32_t vni) {
  return fmt::format("podnet.{}", vni);
}

namespace {

sys::Route make_route(const net::Prefix& dst, const net::IpAddress& gw, int ifindex, bool onlink) {
  sys::Route r;
  r.dst = dst.masked();
  r.gw = gw;
  r.ifindex = ifindex;
  r.protocol = kRouteProtocol;
  r.onlink = onlink;
  return r;
}

// The attributes that make a route "the same" for podnet: destination, next hop, device, onlink.
// Kernel-reported fields we never set (table number, scope, metrics) are not compared.
bool same_route(const sys::Route& a, const sys::Route& b) {
  return a.dst.masked() == b.dst.masked() && a.gw == b.gw && a.ifindex == b.ifindex &&
         a.onlink == b.onlink;
}

bool is_main_table(uint32_t t) {
  return t == 0 || t == 254;
}

}  // namespace

std::optional<std::string> host_gw_unreachable(const Self& self, const Peer& peer) {
  if (std::any_of(self.underlay_addrs.begin(), self.underlay_addrs.end(),
                  [&](const net::Prefix& a) { return a.contains(peer.internal_ip); }))
    return std::nullopt;
  std::string from;
  for (const auto& a : self.underlay_addrs) from += (from.empty() ? "" : ", ") + a.masked().str();
  if (from.empty()) from = "(no underlay address)";
  return fmt::format("peer {} {} is not on-link from {}: host-gw needs one L2 segment; use vxlan",
                     peer.name, peer.internal_ip.str(), from);
}

Result<WantedState> plan(const Self& self, const std::vector<Peer>& peers, Backend backend,
                         const VxlanOptions& vxlan) {
  const uint32_t vni = vxlan.vni;
  WantedState w;
  w.backend = backend;
  w.family = self.pod_cidr.family();
  if (backend == Backend::vxlan) {
    if (!self.internal_ip.is_v4())
      return fail(fmt::format("node {}: VXLAN backend supports an IPv4 underlay only", self.name));
    if (self.underlay_mtu <= kVxlanOverheadV4 + 68)
      return fail(fmt::format("node {}: underlay MTU {} too small for VXLAN", self.name,
                              self.underlay_mtu));
    sys::VxlanSpec spec;
    spec.name = vtep_name(vni);
    spec.vni = vni;
    spec.local = self.internal_ip;
    spec.dev = self.underlay_ifindex;
    spec.port = vxlan.port;
    spec.learning = false;
    spec.mac = self.vtep_mac;
    spec.mtu = self.underlay_mtu - kVxlanOverheadV4;
    spec.up = true;
    w.vtep = spec;
    w.vtep_address = net::Prefix(self.pod_cidr.network(), self.pod_cidr.address().bits());
  }
  std::map<net::Prefix, std::string> seen;  // masked pod CIDR -> peer name
  for (const Peer& p : peers) {
    net::Prefix cidr = p.pod_cidr.masked();
    if (p.internal_ip.family() != self.internal_ip.family() ||
        cidr.family() != self.pod_cidr.family())
      return fail(fmt::format("peer {} {}: address family differs from node {}", p.name,
                              p.internal_ip.str(), self.name));
    if (cidr.overlaps(self.pod_cidr.masked()))
      return fail(fmt::format("peer {} pod CIDR {} overlaps this node's {}", p.name, cidr.str(),
                              self.pod_cidr.masked().str()));
    for (const auto& [other, other_name] : seen)
      if (other.overlaps(cidr))
        return fail(fmt::format("peers {} and {}: pod CIDRs {} and {} overlap", other_name, p.name,
                                other.str(), cidr.str()));
    seen.emplace(cidr, p.name);

    const bool direct =
        backend == Backend::host_gw || (vxlan.direct_routing && !host_gw_unreachable(self, p));
    if (!direct) {
      if (!p.vtep_mac || !p.vtep_mac->is_valid_unicast())
        return fail(fmt::format("peer {} {} has no valid VTEP MAC", p.name, p.internal_ip.str()));
      net::IpAddress gw = cidr.network();
      w.neighs.push_back({gw, *p.vtep_mac});
      w.fdb.push_back({*p.vtep_mac, p.internal_ip});
      w.routes.push_back(make_route(cidr, gw, 0, true));
    } else {
      if (auto why = host_gw_unreachable(self, p)) return fail(*why);
      w.routes.push_back(make_route(cidr, p.internal_ip, self.underlay_ifindex, false));
    }
  }
  return w;
}

std::string Action::str() const {
  const char* verb = op == Op::add ? "add" : op == Op::replace ? "replace" : "remove";
  switch (object) {
    case Object::route: {
      std::string s = fmt::format("{} route {}", verb, route.dst.str());
      if (route.gw) s += " via " + route.gw->str();
      if (route.ifindex) s += fmt::format(" dev {}", route.ifindex);
      if (route.onlink) s += " onlink";
      return s + fmt::format(" proto {}", route.protocol);
    }
    case Object::neigh:
      return op == Op::remove ? fmt::format("{} neigh {} dev {}", verb, neigh.ip.str(), ifindex)
                              : fmt::format("{} neigh {} lladdr {} dev {}", verb, neigh.ip.str(),
                                            neigh.mac.str(), ifindex);
    case Object::fdb:
      return fmt::format("{} fdb {} dst {} dev {}", verb, fdb.mac.str(), fdb.dst.str(), ifindex);
  }
  return verb;
}

std::vector<Action> diff(const WantedState& wanted, const CurrentState& current) {
  std::vector<Action> del_route, del_fdb, del_neigh, put_neigh, put_fdb, put_route;
  const int vtep = current.vtep_ifindex;

  // Routes: only ours (protocol 80, main table).
  std::vector<sys::Route> want_routes = wanted.routes;
  for (auto& r : want_routes)
    if (wanted.backend == Backend::vxlan && r.ifindex == 0) r.ifindex = vtep;
  std::vector<const sys::Route*> ours;
  for (const auto& r : current.routes)
    if (r.protocol == kRouteProtocol && is_main_table(r.table)) ours.push_back(&r);
  for (const auto& w : want_routes) {
    auto same_dst = [&](const sys::Route* c) { return c->dst.masked() == w.dst.masked(); };
    auto it = std::find_if(ours.begin(), ours.end(), same_dst);
    if (it == ours.end()) {
      put_route.push_back({.op = Op::add, .object = Object::route, .route = w});
    } else if (!same_route(**it, w)) {
      put_route.push_back({.op = Op::replace, .object = Object::route, .route = w});
    }
  }
  for (const sys::Route* c : ours) {
    bool keep = std::any_of(want_routes.begin(), want_routes.end(),
                            [&](const sys::Route& w) { return w.dst.masked() == c->dst.masked(); });
    if (!keep) {
      sys::Route r = *c;
      r.protocol = kRouteProtocol;
      del_route.push_back({.op = Op::remove, .object = Object::route, .route = r});
    }
  }

  if (vtep != 0) {
    // Neighbours on the VTEP.
    for (const auto& w : wanted.neighs) {
      auto it = std::find_if(current.neighs.begin(), current.neighs.end(),
                             [&](const sys::Neigh& n) { return n.ip == w.ip; });
      bool ok = it != current.neighs.end() && it->mac == w.mac && (it->state & NUD_PERMANENT);
      if (!ok)
        put_neigh.push_back({.op = it == current.neighs.end() ? Op::add : Op::replace,
                             .object = Object::neigh,
                             .ifindex = vtep,
                             .neigh = w});
    }
    for (const auto& n : current.neighs) {
      bool keep = std::any_of(wanted.neighs.begin(), wanted.neighs.end(),
                              [&](const NeighWant& w) { return w.ip == n.ip; });
      if (!keep)
        del_neigh.push_back({.op = Op::remove,
                             .object = Object::neigh,
                             .ifindex = vtep,
                             .neigh = {n.ip, n.mac.value_or(sys::Mac{})}});
    }
    // FDB entries with a remote (entries without dst are the device's own address lists).
    std::vector<const sys::FdbEntry*> fdb;
    for (const auto& e : current.fdb)
      if (e.dst) fdb.push_back(&e);
    for (const auto& w : wanted.fdb) {
      bool exact = std::any_of(fdb.begin(), fdb.end(), [&](const sys::FdbEntry* e) {
        return e->mac == w.mac && *e->dst == w.dst && (e->state & NUD_PERMANENT);
      });
      bool any = std::any_of(fdb.begin(), fdb.end(),
                             [&](const sys::FdbEntry* e) { return e->mac == w.mac; });
      if (!exact)
        put_fdb.push_back(
            {.op = any ? Op::replace : Op::add, .object = Object::fdb, .ifindex = vtep, .fdb = w});
    }
    for (const sys::FdbEntry* e : fdb) {
      auto w = std::find_if(wanted.fdb.begin(), wanted.fdb.end(),
                            [&](const FdbWant& w) { return w.mac == e->mac; });
      bool remove = w == wanted.fdb.end();
      if (!remove && w->dst != *e->dst) {
        // An extra remote for a wanted MAC: remove it only when the wanted one is already there
        // (otherwise the replace above overwrites it).
        remove = std::any_of(fdb.begin(), fdb.end(), [&](const sys::FdbEntry* o) {
          return o->mac == w->mac && *o->dst == w->dst;
        });
      }
      if (remove)
        del_fdb.push_back(
            {.op = Op::remove, .object = Object::fdb, .ifindex = vtep, .fdb = {e->mac, *e->dst}});
    }
  }

  std::vector<Action> out;
  for (auto* v : {&del_route, &del_fdb, &del_neigh, &put_neigh, &put_fdb, &put_route})
    out.insert(out.end(), v->begin(), v->end());
  return out;
}

}  // namespace podnet::routes
