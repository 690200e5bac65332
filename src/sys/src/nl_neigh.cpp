// Neighbour (ARP/NDP) entries and bridge/vxlan FDB entries.
#include <linux/neighbour.h>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

nl::NeighPtr make_neigh(int ifindex) {
  nl::NeighPtr n(rtnl_neigh_alloc());
  if (n) rtnl_neigh_set_ifindex(n.get(), ifindex);
  return n;
}

Result<bool> delete_neigh(Netlink::State& s, rtnl_neigh* n, std::string_view what) {
  auto r = s.call(what, [&](nl_sock* sk) { return rtnl_neigh_delete(sk, n, 0); });
  if (!r) {
    if (r.error().sys_errno == ENOENT) return false;
    return fail(r.error());
  }
  return true;
}

}  // namespace

Result<> Netlink::replace_neigh(int ifindex, const net::IpAddress& ip, const Mac& mac,
                                bool permanent) {
  std::string what =
      fmt::format("replace neighbour {} lladdr {} on link #{}", ip.str(), mac.str(), ifindex);
  auto n = make_neigh(ifindex);
  if (!n) return fail(Error::from_errno(ENOMEM, what));
  rtnl_neigh_set_dst(n.get(), nl::to_nl(ip).get());
  rtnl_neigh_set_lladdr(n.get(), nl::to_nl(mac).get());
  rtnl_neigh_set_state(n.get(), permanent ? NUD_PERMANENT : NUD_REACHABLE);
  return s_->call(
      what, [&](nl_sock* sk) { return rtnl_neigh_add(sk, n.get(), NLM_F_CREATE | NLM_F_REPLACE); });
}

Result<bool> Netlink::del_neigh(int ifindex, const net::IpAddress& ip) {
  std::string what = fmt::format("delete neighbour {} on link #{}", ip.str(), ifindex);
  auto n = make_neigh(ifindex);
  if (!n) return fail(Error::from_errno(ENOMEM, what));
  rtnl_neigh_set_dst(n.get(), nl::to_nl(ip).get());
  return delete_neigh(*s_, n.get(), what);
}

Result<std::vector<Neigh>> Netlink::list_neigh(int ifindex, net::Family family) {
  std::vector<Neigh> out;
  ndmsg hdr{};
  hdr.ndm_family = static_cast<uint8_t>(nl::family_of(family));
  hdr.ndm_ifindex = ifindex;
  PODNET_TRY_VOID(s_->dump(
      RTM_GETNEIGH, &hdr, sizeof hdr,
      [&](nl_object* o) {
        auto* n = reinterpret_cast<rtnl_neigh*>(o);
        if (rtnl_neigh_get_ifindex(n) != ifindex || rtnl_neigh_get_family(n) != hdr.ndm_family)
          return;
        auto ip = nl::to_ip(rtnl_neigh_get_dst(n));
        if (!ip) return;
        Neigh e;
        e.ifindex = ifindex;
        e.ip = *ip;
        e.mac = nl::to_mac(rtnl_neigh_get_lladdr(n));
        e.state = static_cast<uint16_t>(rtnl_neigh_get_state(n));
        out.push_back(e);
      },
      [&] { out.clear(); }, fmt::format("list neighbours of link #{}", ifindex)));
  return out;
}

Result<> Netlink::replace_fdb(int ifindex, const Mac& mac, const net::IpAddress& dst) {
  std::string what =
      fmt::format("replace fdb {} dst {} on link #{}", mac.str(), dst.str(), ifindex);
  auto n = make_neigh(ifindex);
  if (!n) return fail(Error::from_errno(ENOMEM, what));
  rtnl_neigh_set_lladdr(n.get(), nl::to_nl(mac).get());
  // NDA_DST (the VTEP) first: libnl takes the family from it; AF_BRIDGE is set after.
  if (rtnl_neigh_set_dst(n.get(), nl::to_nl(dst).get()) < 0)
    return fail(Error::from_errno(EINVAL, what));
  rtnl_neigh_set_family(n.get(), AF_BRIDGE);
  rtnl_neigh_set_state(n.get(), NUD_PERMANENT);
  rtnl_neigh_set_flags(n.get(), NTF_SELF);
  return s_->call(
      what, [&](nl_sock* sk) { return rtnl_neigh_add(sk, n.get(), NLM_F_CREATE | NLM_F_REPLACE); });
}

Result<bool> Netlink::del_fdb(int ifindex, const Mac& mac, std::optional<net::IpAddress> dst) {
  std::string what = fmt::format("delete fdb {} on link #{}", mac.str(), ifindex);
  auto n = make_neigh(ifindex);
  if (!n) return fail(Error::from_errno(ENOMEM, what));
  rtnl_neigh_set_lladdr(n.get(), nl::to_nl(mac).get());
  if (dst && rtnl_neigh_set_dst(n.get(), nl::to_nl(*dst).get()) < 0)
    return fail(Error::from_errno(EINVAL, what));
  rtnl_neigh_set_family(n.get(), AF_BRIDGE);
  rtnl_neigh_set_flags(n.get(), NTF_SELF);
  return delete_neigh(*s_, n.get(), what);
}

namespace {

// Every AF_BRIDGE neighbour entry `keep` accepts, as FdbEntry.
Result<std::vector<FdbEntry>> dump_fdb(Netlink::State& s,
                                       const std::function<bool(rtnl_neigh*)>& keep,
                                       std::string_view what) {
  std::vector<FdbEntry> out;
  ndmsg hdr{};
  hdr.ndm_family = AF_BRIDGE;
  PODNET_TRY_VOID(s.dump(
      RTM_GETNEIGH, &hdr, sizeof hdr,
      [&](nl_object* o) {
        auto* n = reinterpret_cast<rtnl_neigh*>(o);
        if (rtnl_neigh_get_family(n) != AF_BRIDGE || !keep(n)) return;
        auto mac = nl::to_mac(rtnl_neigh_get_lladdr(n));
        if (!mac) return;
        out.push_back(FdbEntry{.ifindex = rtnl_neigh_get_ifindex(n),
                               .mac = *mac,
                               .dst = nl::to_ip(rtnl_neigh_get_dst(n)),
                               .state = static_cast<uint16_t>(rtnl_neigh_get_state(n)),
                               .flags = static_cast<uint8_t>(rtnl_neigh_get_flags(n)),
                               .master = rtnl_neigh_get_master(n)});
      },
      [&] { out.clear(); }, what));
  return out;
}

}  // namespace

Result<std::vector<FdbEntry>> Netlink::list_fdb(int ifindex) {
  return dump_fdb(
      *s_, [&](rtnl_neigh* n) { return rtnl_neigh_get_ifindex(n) == ifindex; },
      fmt::format("list fdb of link #{}", ifindex));
}

Result<std::vector<FdbEntry>> Netlink::list_bridge_fdb(int bridge_ifindex) {
  // The bridge's own entries; the ports' own address lists (NTF_SELF) are not its FDB.
  return dump_fdb(
      *s_,
      [&](rtnl_neigh* n) {
        return rtnl_neigh_get_master(n) == bridge_ifindex && !(rtnl_neigh_get_flags(n) & NTF_SELF);
      },
      fmt::format("list fdb of bridge #{}", bridge_ifindex));
}

}  // namespace podnet::sys
