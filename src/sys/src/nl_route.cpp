// Routes.
#include <linux/rtnetlink.h>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

std::string route_str(const Route& r) {
  std::string s = r.dst.masked().str();
  if (r.gw) s += " via " + r.gw->str();
  if (r.ifindex) s += fmt::format(" dev #{}", r.ifindex);
  if (r.table) s += fmt::format(" table {}", r.table);
  return s;
}

Result<nl::RoutePtr> build(const Route& r, bool for_delete, std::string_view what) {
  nl::RoutePtr rt(rtnl_route_alloc());
  auto dst = nl::to_nl(r.dst.masked());
  if (!rt || !dst) return fail(Error::from_errno(ENOMEM, std::string(what)));
  rtnl_route_set_family(rt.get(), nl::family_of(r.dst.family()));
  if (rtnl_route_set_dst(rt.get(), dst.get()) < 0)
    return fail(Error::from_errno(EINVAL, std::string(what)));
  if (r.gw && r.gw->family() != r.dst.family())
    return fail(Error::from_errno(EAFNOSUPPORT, fmt::format("{}: gateway family differs", what)));
  rtnl_route_set_table(rt.get(), r.table ? r.table : RT_TABLE_MAIN);
  rtnl_route_set_protocol(rt.get(), r.protocol);
  rtnl_route_set_type(rt.get(), r.type);
  if (r.scope)
    rtnl_route_set_scope(rt.get(), *r.scope);
  else if (for_delete)
    rtnl_route_set_scope(rt.get(), RT_SCOPE_NOWHERE);  // wildcard, as `ip route del` does
  else
    rtnl_route_set_scope(rt.get(),
                         r.gw || r.type != RTN_UNICAST ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  if (r.priority) rtnl_route_set_priority(rt.get(), *r.priority);
  // Deletes leave metrics out: IPv4 would only delete a route whose metrics match exactly.
  if (r.mtu && !for_delete) rtnl_route_set_metric(rt.get(), RTAX_MTU, *r.mtu);
  if (r.advmss && !for_delete) rtnl_route_set_metric(rt.get(), RTAX_ADVMSS, *r.advmss);
  if (r.gw || r.ifindex) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) return fail(Error::from_errno(ENOMEM, std::string(what)));
    if (r.ifindex) rtnl_route_nh_set_ifindex(nh, r.ifindex);
    if (r.gw) rtnl_route_nh_set_gateway(nh, nl::to_nl(*r.gw).get());
    if (r.onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(rt.get(), nh);  // the route owns nh now
  }
  return rt;
}

// Multipath routes are reported by their first nexthop.
std::optional<Route> to_route(rtnl_route* rt) {
  nl_addr* d = rtnl_route_get_dst(rt);
  auto dst = nl::to_ip(d);
  if (!dst) return std::nullopt;
  Route r;
  r.dst = net::Prefix(*dst, static_cast<int>(nl_addr_get_prefixlen(d)));
  r.table = rtnl_route_get_table(rt);
  r.protocol = rtnl_route_get_protocol(rt);
  r.scope = rtnl_route_get_scope(rt);
  r.type = rtnl_route_get_type(rt);
  if (uint32_t prio = rtnl_route_get_priority(rt)) r.priority = prio;
  uint32_t v = 0;
  if (rtnl_route_get_metric(rt, RTAX_MTU, &v) == 0) r.mtu = v;
  if (rtnl_route_get_metric(rt, RTAX_ADVMSS, &v) == 0) r.advmss = v;
  if (rtnl_route_get_nnexthops(rt) > 0) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(rt, 0);
    r.ifindex = rtnl_route_nh_get_ifindex(nh);
    r.gw = nl::to_ip(rtnl_route_nh_get_gateway(nh));
    r.onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
  }
  return r;
}

}  // namespace

Result<> Netlink::add_route(const Route& r) {
  std::string what = "add route " + route_str(r);
  auto rt = PODNET_TRY(build(r, false, what));
  return s_->call(what, [&](nl_sock* sk) { return rtnl_route_add(sk, rt.get(), NLM_F_EXCL); });
}

Result<> Netlink::replace_route(const Route& r) {
  std::string what = "replace route " + route_str(r);
  auto rt = PODNET_TRY(build(r, false, what));
  return s_->call(what, [&](nl_sock* sk) { return rtnl_route_add(sk, rt.get(), NLM_F_REPLACE); });
}

Result<bool> Netlink::del_route(const Route& r) {
  std::string what = "delete route " + route_str(r);
  auto rt = PODNET_TRY(build(r, true, what));
  auto res = s_->call(what, [&](nl_sock* sk) { return rtnl_route_delete(sk, rt.get(), 0); });
  if (!res) {
    // IPv4 says ESRCH, IPv6 ENOENT.
    if (res.error().sys_errno == ESRCH || res.error().sys_errno == ENOENT) return false;
    return fail(res.error());
  }
  return true;
}

Result<std::vector<Route>> Netlink::list_routes(net::Family family, const RouteFilter& filter) {
  std::vector<Route> out;
  rtmsg hdr{};
  hdr.rtm_family = static_cast<unsigned char>(nl::family_of(family));
  std::optional<uint32_t> table = filter.table;
  if (table && *table == 0) table = RT_TABLE_MAIN;
  PODNET_TRY_VOID(s_->dump(
      RTM_GETROUTE, &hdr, sizeof hdr,
      [&](nl_object* o) {
        auto* rt = reinterpret_cast<rtnl_route*>(o);
        if (rtnl_route_get_family(rt) != hdr.rtm_family) return;
        if (rtnl_route_get_flags(rt) & RTM_F_CLONED) return;  // cache entries, not routes
        auto r = to_route(rt);
        if (!r) return;
        if (table && r->table != *table) return;
        if (filter.protocol && r->protocol != *filter.protocol) return;
        if (filter.ifindex && r->ifindex != *filter.ifindex) return;
        out.push_back(std::move(*r));
      },
      [&] { out.clear(); }, "list routes"));
  return out;
}

Result<RouteAnswer> Netlink::route_get(const RouteQuery& q) {
  std::string what = "route get " + q.dst.str();
  if (q.src) what += " from " + q.src->str();
  if (q.iif) what += fmt::format(" iif #{}", q.iif);
  if (q.oif) what += fmt::format(" oif #{}", q.oif);
  if (q.src && q.src->family() != q.dst.family())
    return fail(Error::from_errno(EAFNOSUPPORT, what + ": source family differs"));
  nl::MsgPtr msg(nlmsg_alloc_simple(RTM_GETROUTE, 0));
  if (!msg) return fail(Error::from_errno(ENOMEM, what));
  rtmsg hdr{};
  hdr.rtm_family = static_cast<unsigned char>(nl::family_of(q.dst.family()));
  hdr.rtm_dst_len = static_cast<unsigned char>(q.dst.byte_len() * 8);
  if (q.src) hdr.rtm_src_len = hdr.rtm_dst_len;
  if (q.fib_match) hdr.rtm_flags |= RTM_F_FIB_MATCH;
  bool ok = nlmsg_append(msg.get(), &hdr, sizeof hdr, NLMSG_ALIGNTO) == 0 &&
            nla_put(msg.get(), RTA_DST, q.dst.byte_len(), q.dst.data()) == 0 &&
            (!q.src || nla_put(msg.get(), RTA_SRC, q.src->byte_len(), q.src->data()) == 0) &&
            (!q.iif || nla_put_u32(msg.get(), RTA_IIF, static_cast<uint32_t>(q.iif)) == 0) &&
            (!q.oif || nla_put_u32(msg.get(), RTA_OIF, static_cast<uint32_t>(q.oif)) == 0);
  if (!ok) return fail(Error::from_errno(EMSGSIZE, what));

  // The reply is one RTM_NEWROUTE (then the ACK) or an error; libnl parses it as a route.
  struct Got {
    nl::RoutePtr route;
  } got;
  PODNET_TRY_VOID(s_->ask(
      std::move(msg),
      [](nl_msg* m, void* arg) -> int {
        auto* g = static_cast<Got*>(arg);
        rtnl_route* rt = nullptr;
        if (nlmsg_hdr(m)->nlmsg_type == RTM_NEWROUTE && rtnl_route_parse(nlmsg_hdr(m), &rt) >= 0)
          g->route.reset(rt);
        return NL_OK;
      },
      &got, what));
  if (!got.route) return fail(Error::from_errno(ENOENT, what + ": no route in the answer"));
  auto r = to_route(got.route.get());
  if (!r) return fail(Error::from_errno(EPROTO, what + ": unreadable answer"));
  RouteAnswer a{.route = std::move(*r)};
  a.prefsrc = nl::to_ip(rtnl_route_get_pref_src(got.route.get()));
  if (a.prefsrc && a.prefsrc->is_unspecified()) a.prefsrc.reset();
  return a;
}

}  // namespace podnet::sys
