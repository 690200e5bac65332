#include "podnet/routes/manager.hpp"

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

namespace podnet::routes {

Result<VxlanAttrs> probe_vxlan(const std::string& name) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sk(nl_socket_alloc(), &nl_socket_free);
  if (!sk) return fail_errno("probe vxlan " + name + ": socket", ENOMEM);
  if (int e = nl_connect(sk.get(), NETLINK_ROUTE); e < 0)
    return fail(fmt::format("probe vxlan {}: connect: {}", name, nl_geterror(e)));
  rtnl_link* raw = nullptr;
  if (int e = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &raw); e < 0)
    return fail(fmt::format("probe vxlan {}: {}", name, nl_geterror(e)));
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> link(raw, &rtnl_link_put);
  if (!rtnl_link_is_vxlan(link.get())) return fail("probe vxlan " + name + ": not a vxlan link");
  VxlanAttrs a;
  rtnl_link_vxlan_get_id(link.get(), &a.vni);
  rtnl_link_vxlan_get_port(link.get(), &a.port);
  rtnl_link_vxlan_get_link(link.get(), &a.dev);
  nl_addr* local = nullptr;
  if (rtnl_link_vxlan_get_local(link.get(), &local) == 0 && local) {
    int fam = nl_addr_get_family(local);
    if (fam == AF_INET && nl_addr_get_len(local) == 4)
      a.local = net::IpAddress::from_bytes(
          net::Family::v4, static_cast<const uint8_t*>(nl_addr_get_binary_addr(local)));
    else if (fam == AF_INET6 && nl_addr_get_len(local) == 16)
      a.local = net::IpAddress::from_bytes(
          net::Family::v6, static_cast<const uint8_t*>(nl_addr_get_binary_addr(local)));
    nl_addr_put(local);
  }
  return a;
}

Result<int> RouteManager::ensure_vtep(const sys::VxlanSpec& spec, const net::Prefix& addr,
                                      bool& created) {
  created = false;
  auto info = nl_.link_info(spec.name);
  if (!info && info.error().sys_errno != ENODEV)
    return fail(info.error().context("ensure vtep " + spec.name));
  std::optional<sys::Mac> keep_mac = spec.mac;
  if (info) {
    bool recreate = info->kind != "vxlan";
    if (!recreate) {
      auto attrs =
          ns_ ? sys::run_in(*ns_, [&] { return probe_vxlan(spec.name); }) : probe_vxlan(spec.name);
      if (!attrs) return fail(attrs.error());
      recreate = attrs->vni != spec.vni || attrs->port != spec.port || attrs->local != spec.local ||
                 (spec.dev != 0 && attrs->dev != static_cast<uint32_t>(spec.dev));
    }
    if (recreate) {
      if (!keep_mac) keep_mac = sys::Mac::parse(info->mac);
      PODNET_TRY(nl_.delete_link(info->index));
      info = std::unexpected(Error{ENODEV, "recreate"});
    }
  }
  int index = 0;
  if (!info) {
    sys::VxlanSpec s = spec;
    s.mac = keep_mac;
    sys::LinkInfo li = PODNET_TRY(nl_.create_vxlan(s));
    index = li.index;
    created = true;
  } else {
    index = info->index;
    if (spec.mac && info->mac != spec.mac->str()) PODNET_TRY_VOID(nl_.set_mac(index, *spec.mac));
    if (spec.mtu && info->mtu != spec.mtu) PODNET_TRY_VOID(nl_.set_mtu(index, spec.mtu));
    if (!info->up) PODNET_TRY_VOID(nl_.set_up(index, true));
  }
  auto addrs = PODNET_TRY(nl_.list_addresses(index, addr.family()));
  bool have = false;
  for (const auto& a : addrs) {
    if (a == addr) {
      have = true;
    } else {
      PODNET_TRY(nl_.del_address(index, a));  // the VTEP is podnet's: stale subnet address
    }
  }
  if (!have) {
    auto r = nl_.add_address(index, addr);
    if (!r && r.error().sys_errno != EEXIST) return fail(r.error());
  }
  return index;
}

Result<CurrentState> RouteManager::read_current(const WantedState& wanted) {
  CurrentState c;
  if (wanted.vtep) {
    auto idx = nl_.link_index(wanted.vtep->name);
    if (idx) {
      c.vtep_ifindex = *idx;
    } else if (idx.error().sys_errno != ENODEV) {
      return fail(idx.error());
    }
  }
  const net::Family fam = wanted.family;
  c.routes = PODNET_TRY(nl_.list_routes(fam, {.table = 0, .protocol = kRouteProtocol}));
  if (c.vtep_ifindex) {
    c.neighs = PODNET_TRY(nl_.list_neigh(c.vtep_ifindex, fam));
    c.fdb = PODNET_TRY(nl_.list_fdb(c.vtep_ifindex));
  }
  return c;
}

Result<ApplyStats> RouteManager::apply(const WantedState& wanted,
                                       const ActionObserver& before_each) {
  ApplyStats st;
  // A VTEP left from an earlier run with another VNI, or from vxlan before a switch to host-gw,
  // is podnet's (by name) and stale; its neighbours, FDB entries and routes go with it.
  auto links = PODNET_TRY(nl_.list_links());
  for (const auto& l : links)
    if (l.kind == "vxlan" && l.name.starts_with("podnet.") &&
        (!wanted.vtep || l.name != wanted.vtep->name)) {
      if (PODNET_TRY(nl_.delete_link(l.index))) ++st.removed;
    }
  if (wanted.vtep) {
    if (!wanted.vtep_address) return fail("route plan: vxlan without a VTEP address");
    PODNET_TRY(ensure_vtep(*wanted.vtep, *wanted.vtep_address, st.vtep_created));
  }
  CurrentState cur = PODNET_TRY(read_current(wanted));
  for (const Action& a : diff(wanted, cur)) {
    if (before_each) before_each(a);
    Result<> r;
    switch (a.object) {
      case Object::route:
        if (a.op == Op::remove) {
          auto d = nl_.del_route(a.route);
          if (!d) r = std::unexpected(d.error());
        } else {
          r = nl_.replace_route(a.route);
        }
        break;
      case Object::neigh:
        if (a.op == Op::remove) {
          auto d = nl_.del_neigh(a.ifindex, a.neigh.ip);
          if (!d) r = std::unexpected(d.error());
        } else {
          r = nl_.replace_neigh(a.ifindex, a.neigh.ip, a.neigh.mac, true);
        }
        break;
      case Object::fdb:
        if (a.op == Op::remove) {
          auto d = nl_.del_fdb(a.ifindex, a.fdb.mac, a.fdb.dst);
          if (!d) r = std::unexpected(d.error());
        } else {
          r = nl_.replace_fdb(a.ifindex, a.fdb.mac, a.fdb.dst);
        }
        break;
    }
    if (!r) return fail(r.error().context(a.str()));
    (a.op == Op::add ? st.added : a.op == Op::replace ? st.replaced : st.removed)++;
  }
  return st;
}

}  // namespace podnet::routes
