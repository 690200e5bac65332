// Links: lookup, veth/bridge/vxlan creation, attribute changes, deletion.
#include <linux/if.h>
#include <linux/if_link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>

#include <cstring>
#include <new>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

LinkInfo to_info(rtnl_link* l) {
  LinkInfo i;
  i.index = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) i.name = n;
  i.mac = nl::hw_str(rtnl_link_get_addr(l));
  i.mtu = rtnl_link_get_mtu(l);
  unsigned flags = rtnl_link_get_flags(l);
  i.up = flags & IFF_UP;
  i.oper_up = rtnl_link_get_operstate(l) == IF_OPER_UP;
  i.carrier = rtnl_link_get_carrier(l) != 0;
  i.master = rtnl_link_get_master(l);
  if (const char* k = rtnl_link_get_type(l)) i.kind = k;
  i.link = rtnl_link_get_link(l);
  int32_t nsid = 0;
  if (rtnl_link_get_link_netnsid(l, &nsid) == 0) i.link_netnsid = nsid;
  uint32_t vni = 0;
  if (i.kind == "vxlan" && rtnl_link_vxlan_get_id(l, &vni) == 0) i.vxlan_id = vni;
  return i;
}

// libnl silently truncates names to IFNAMSIZ-1; a truncated name could address another link.
Result<> check_ifname(std::string_view name) {
  bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != "..";
  for (char c : name) ok = ok && c != '/' && c != ':' && c > ' ' && c != 0x7f;
  if (!ok) return fail(Error::from_errno(EINVAL, fmt::format("link name \"{}\": invalid", name)));
  return {};
}

std::string link_ref(int ifindex) {
  return fmt::format("link #{}", ifindex);
}

// One RTM_GETLINK; a missing link is ENODEV whatever libnl made of it.
Result<nl::LinkPtr> get_link(Netlink::State& s, int ifindex, std::string_view name) {
  if (!name.empty()) PODNET_TRY_VOID(check_ifname(name));
  rtnl_link* raw = nullptr;
  std::string n(name);
  int err = rtnl_link_get_kernel(s.begin(), ifindex, name.empty() ? nullptr : n.c_str(), &raw);
  nl::LinkPtr l(raw);
  std::string what = name.empty() ? link_ref(ifindex) : "link " + n;
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND || (err >= 0 && !l))
    return fail(Error::from_errno(ENODEV, what));
  if (err < 0) return fail(s.error(err, "get " + what));
  return l;
}

// Link objects are tiny; failing to allocate one is treated like any C++ allocation failure.
nl::LinkPtr new_link() {
  nl::LinkPtr l(rtnl_link_alloc());
  if (!l) throw std::bad_alloc();
  return l;
}

// Applies `changes` to link ifindex with one RTM_NEWLINK/RTM_SETLINK.
Result<> change_link(Netlink::State& s, int ifindex, rtnl_link* changes, std::string_view what,
                     int family = AF_UNSPEC) {
  nl::LinkPtr orig = new_link();
  if (family != AF_UNSPEC) rtnl_link_set_family(orig.get(), family);
  rtnl_link_set_ifindex(orig.get(), ifindex);
  return s.call(what, [&](nl_sock* sk) { return rtnl_link_change(sk, orig.get(), changes, 0); });
}

Result<bool> delete_link_obj(Netlink::State& s, rtnl_link* l, std::string_view what) {
  auto r = s.call(what, [&](nl_sock* sk) { return rtnl_link_delete(sk, l); });
  if (!r) {
    if (r.error().sys_errno == ENODEV) return false;
    return fail(r.error());
  }
  return true;
}

// The bridge with explicit IFLA_BR_* attributes: libnl 3.7 has no setters for bridge (master)
// attributes, so this one message is built by hand.
Result<> create_bridge(Netlink::State& s, const std::string& name, uint32_t mtu,
                       const std::optional<Mac>& mac) {
  std::string what = "create bridge " + name;
  nl::MsgPtr msg(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL));
  if (!msg) return fail(Error::from_errno(ENOMEM, what));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  nl_msg* m = msg.get();
  bool ok = nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) == 0 &&
            nla_put_string(m, IFLA_IFNAME, name.c_str()) == 0 &&
            (mtu == 0 || nla_put_u32(m, IFLA_MTU, mtu) == 0) &&
            (!mac || nla_put(m, IFLA_ADDRESS, 6, mac->data()) == 0);
  nlattr* info = ok ? nla_nest_start(m, IFLA_LINKINFO) : nullptr;
  ok = info && nla_put_string(m, IFLA_INFO_KIND, "bridge") == 0;
  nlattr* data = ok ? nla_nest_start(m, IFLA_INFO_DATA) : nullptr;
  // STP off so new ports forward at once. VLAN filtering is off by default, and not named here:
  // kernels built without it reject the attribute even as 0.
  // Netfilter on the frames it switches (see ensure_bridge): kernels without br_netfilter ignore
  // these attributes.
  ok = data && nla_put_u32(m, IFLA_BR_STP_STATE, 0) == 0 &&
       nla_put_u8(m, IFLA_BR_NF_CALL_IPTABLES, 1) == 0 &&
       nla_put_u8(m, IFLA_BR_NF_CALL_IP6TABLES, 1) == 0;
  if (!ok) return fail(Error::from_errno(EMSGSIZE, what));
  nla_nest_end(m, data);
  nla_nest_end(m, info);
  return s.request(std::move(msg), what);
}

}  // namespace

Result<int> Netlink::link_index(std::string_view name) {
  auto l = PODNET_TRY(get_link(*s_, 0, name));
  return rtnl_link_get_ifindex(l.get());
}

Result<LinkInfo> Netlink::link_info(std::string_view name) {
  auto l = PODNET_TRY(get_link(*s_, 0, name));
  return to_info(l.get());
}

Result<LinkInfo> Netlink::link_info(int ifindex) {
  auto l = PODNET_TRY(get_link(*s_, ifindex, {}));
  return to_info(l.get());
}

Result<std::vector<LinkInfo>> Netlink::list_links() {
  std::vector<LinkInfo> out;
  ifinfomsg hdr{};
  PODNET_TRY_VOID(s_->dump(
      RTM_GETLINK, &hdr, sizeof hdr,
      [&](nl_object* o) { out.push_back(to_info(reinterpret_cast<rtnl_link*>(o))); },
      [&] { out.clear(); }, "list links"));
  return out;
}

Result<LinkInfo> Netlink::create_veth(const VethSpec& spec) {
  std::string what = fmt::format("create veth {}/{}", spec.host_name, spec.peer_name);
  if (auto r = check_ifname(spec.host_name); !r) return fail(r.error().context(what));
  if (auto r = check_ifname(spec.peer_name); !r) return fail(r.error().context(what));
  nl::LinkPtr host(rtnl_link_veth_alloc());
  if (!host) return fail(Error::from_errno(ENOMEM, what));
  nl::LinkPtr peer(rtnl_link_veth_get_peer(host.get()));
  rtnl_link_set_name(host.get(), spec.host_name.c_str());
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  if (spec.mtu) {
    rtnl_link_set_mtu(host.get(), spec.mtu);
    rtnl_link_set_mtu(peer.get(), spec.mtu);
  }
  if (spec.host_mac) rtnl_link_set_addr(host.get(), nl::to_nl(*spec.host_mac).get());
  if (spec.peer_mac) rtnl_link_set_addr(peer.get(), nl::to_nl(*spec.peer_mac).get());
  if (spec.master) rtnl_link_set_master(host.get(), spec.master);
  if (spec.host_up) rtnl_link_set_flags(host.get(), IFF_UP);
  // IFLA_NET_NS_FD inside the peer info: the kernel creates the peer directly in that namespace.
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  PODNET_TRY_VOID(s_->call(
      what, [&](nl_sock* sk) { return rtnl_link_add(sk, host.get(), NLM_F_CREATE | NLM_F_EXCL); }));
  auto info = link_info(spec.host_name);
  if (!info) return fail(info.error().context(what));
  return info;
}

Result<int> Netlink::ensure_bridge(std::string_view name, uint32_t mtu, std::optional<Mac> mac) {
  std::string n(name);
  if (auto r = check_ifname(n); !r) return fail(r.error().context("ensure bridge"));
  // Two rounds: a concurrent creator can win between our lookup and our create.
  for (int round = 0; round < 2; ++round) {
    auto l = get_link(*s_, 0, n);
    if (l) {
      LinkInfo i = to_info(l->get());
      if (i.kind != "bridge")
        return fail(
            Error::from_errno(EEXIST, fmt::format("ensure bridge {}: exists as a {} link", n,
                                                  i.kind.empty() ? "non-bridge" : i.kind)));
      if (!i.up) PODNET_TRY_VOID(set_up(i.index));
      return i.index;
    }
    if (l.error().sys_errno != ENODEV) return fail(l.error().context("ensure bridge " + n));
    auto c = create_bridge(*s_, n, mtu, mac);
    if (!c && c.error().sys_errno != EEXIST) return fail(c.error());
  }
  return fail(Error::from_errno(EEXIST, "ensure bridge " + n + ": keeps changing"));
}

Result<LinkInfo> Netlink::create_vxlan(const VxlanSpec& spec) {
  std::string what = fmt::format("create vxlan {} (vni {})", spec.name, spec.vni);
  if (auto r = check_ifname(spec.name); !r) return fail(r.error().context(what));
  nl::LinkPtr l(rtnl_link_vxlan_alloc());
  if (!l) return fail(Error::from_errno(ENOMEM, what));
  rtnl_link_set_name(l.get(), spec.name.c_str());
  rtnl_link_vxlan_set_id(l.get(), spec.vni);
  if (spec.local && rtnl_link_vxlan_set_local(l.get(), nl::to_nl(*spec.local).get()) < 0)
    return fail(Error::from_errno(EINVAL, what));
  if (spec.dev) rtnl_link_vxlan_set_link(l.get(), static_cast<uint32_t>(spec.dev));
  rtnl_link_vxlan_set_port(l.get(), spec.port);
  rtnl_link_vxlan_set_learning(l.get(), spec.learning ? 1 : 0);
  if (spec.mac) rtnl_link_set_addr(l.get(), nl::to_nl(*spec.mac).get());
  if (spec.mtu) rtnl_link_set_mtu(l.get(), spec.mtu);
  if (spec.up) rtnl_link_set_flags(l.get(), IFF_UP);
  PODNET_TRY_VOID(s_->call(
      what, [&](nl_sock* sk) { return rtnl_link_add(sk, l.get(), NLM_F_CREATE | NLM_F_EXCL); }));
  auto info = link_info(spec.name);
  if (!info) return fail(info.error().context(what));
  return info;
}

Result<> Netlink::set_master(int ifindex, int master_ifindex) {
  auto ch = new_link();
  rtnl_link_set_master(ch.get(), master_ifindex);
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("set master of {} to #{}", link_ref(ifindex), master_ifindex));
}

Result<> Netlink::set_up(int ifindex, bool up) {
  auto ch = new_link();
  if (up)
    rtnl_link_set_flags(ch.get(), IFF_UP);
  else
    rtnl_link_unset_flags(ch.get(), IFF_UP);
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("set {} {}", link_ref(ifindex), up ? "up" : "down"));
}

Result<> Netlink::set_mtu(int ifindex, uint32_t mtu) {
  auto ch = new_link();
  rtnl_link_set_mtu(ch.get(), mtu);
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("set mtu {} on {}", mtu, link_ref(ifindex)));
}

Result<> Netlink::set_gso_max_size(int ifindex, uint32_t bytes) {
  // Not in the uapi headers of every build host (Linux 6.3 added them); the numbers are ABI.
  constexpr int kGsoIpv4MaxSize = 63;  // IFLA_GSO_IPV4_MAX_SIZE
  constexpr int kGroIpv4MaxSize = 64;  // IFLA_GRO_IPV4_MAX_SIZE
  std::string what = fmt::format("set gso/gro max size {} on {}", bytes, link_ref(ifindex));
  // libnl 3.7 has no setters for these: one message built by hand.
  nl::MsgPtr msg(nlmsg_alloc_simple(RTM_NEWLINK, 0));
  if (!msg) return fail(Error::from_errno(ENOMEM, what));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  nl_msg* m = msg.get();
  bool ok = nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) == 0 &&
            nla_put_u32(m, IFLA_GSO_MAX_SIZE, bytes) == 0 &&
            nla_put_u32(m, IFLA_GRO_MAX_SIZE, bytes) == 0 &&
            nla_put_u32(m, kGsoIpv4MaxSize, bytes) == 0 &&
            nla_put_u32(m, kGroIpv4MaxSize, bytes) == 0;
  if (!ok) return fail(Error::from_errno(EMSGSIZE, what));
  return s_->request(std::move(msg), what);
}

Result<> Netlink::set_ipv6_link_local(int ifindex, bool on) {
  auto ch = new_link();
  rtnl_link_inet6_set_addr_gen_mode(
      ch.get(), on ? IN6_ADDR_GEN_MODE_EUI64 : IN6_ADDR_GEN_MODE_NONE);
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("set IPv6 link-local {} on {}", on ? "on" : "off",
                                 link_ref(ifindex)));
}

Result<> Netlink::set_mac(int ifindex, const Mac& mac) {
  auto ch = new_link();
  rtnl_link_set_addr(ch.get(), nl::to_nl(mac).get());
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("set mac {} on {}", mac.str(), link_ref(ifindex)));
}

Result<> Netlink::rename(int ifindex, std::string_view new_name) {
  std::string n(new_name);
  if (auto r = check_ifname(n); !r) return fail(r.error().context("rename " + link_ref(ifindex)));
  auto ch = new_link();
  rtnl_link_set_name(ch.get(), n.c_str());
  return change_link(*s_, ifindex, ch.get(), fmt::format("rename {} to {}", link_ref(ifindex), n));
}

Result<> Netlink::set_hairpin(int ifindex, bool on) {
  // A bridge port flag: RTM_SETLINK, family AF_BRIDGE, IFLA_PROTINFO { IFLA_BRPORT_MODE }.
  nl::LinkPtr ch = new_link();
  rtnl_link_set_family(ch.get(), AF_BRIDGE);
  if (on)
    rtnl_link_bridge_set_flags(ch.get(), RTNL_BRIDGE_HAIRPIN_MODE);
  else
    rtnl_link_bridge_unset_flags(ch.get(), RTNL_BRIDGE_HAIRPIN_MODE);
  return change_link(*s_, ifindex, ch.get(),
                     fmt::format("{} hairpin on {}", on ? "enable" : "disable", link_ref(ifindex)),
                     AF_BRIDGE);
}

Result<bool> Netlink::delete_link(std::string_view name) {
  std::string n(name);
  if (auto r = check_ifname(n); !r) return fail(r.error().context("delete link"));
  auto l = new_link();
  rtnl_link_set_name(l.get(), n.c_str());
  return delete_link_obj(*s_, l.get(), "delete link " + n);
}

Result<bool> Netlink::delete_link(int ifindex) {
  auto l = new_link();
  rtnl_link_set_ifindex(l.get(), ifindex);
  return delete_link_obj(*s_, l.get(), "delete " + link_ref(ifindex));
}

}  // namespace podnet::sys
