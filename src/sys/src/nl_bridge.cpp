// Bridges as the bridge sees them: its ports' STP state and flags (AF_BRIDGE link dump) and its
// own settings. Its forwarding database is with the other FDB dumps (nl_neigh.cpp).
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/route/link/bridge.h>

#include "nl_util.hpp"

namespace podnet::sys {

Result<std::vector<BridgePort>> Netlink::list_bridge_ports() {
  std::vector<BridgePort> out;
  ifinfomsg hdr{};
  hdr.ifi_family = AF_BRIDGE;
  PODNET_TRY_VOID(s_->dump(
      RTM_GETLINK, &hdr, sizeof hdr,
      [&](nl_object* o) {
        auto* l = reinterpret_cast<rtnl_link*>(o);
        // The bridge itself is listed too (its master is itself) without port information.
        const int index = rtnl_link_get_ifindex(l), master = rtnl_link_get_master(l);
        if (!master || master == index || !rtnl_link_bridge_has_ext_info(l)) return;
        const int state = rtnl_link_bridge_get_port_state(l);
        const int flags = rtnl_link_bridge_get_flags(l);
        out.push_back(BridgePort{.ifindex = index,
                                 .master = master,
                                 .state = static_cast<uint8_t>(state < 0 ? 0 : state),
                                 .hairpin = (flags & RTNL_BRIDGE_HAIRPIN_MODE) != 0,
                                 .learning = (flags & RTNL_BRIDGE_LEARNING) != 0});
      },
      [&] { out.clear(); }, "list bridge ports"));
  return out;
}

Result<BridgeSettings> Netlink::bridge_settings(int bridge_ifindex) {
  const std::string what = fmt::format("bridge settings of link #{}", bridge_ifindex);
  nl::MsgPtr msg(nlmsg_alloc_simple(RTM_GETLINK, 0));
  if (!msg) return fail(Error::from_errno(ENOMEM, what));
  ifinfomsg ifi{};
  ifi.ifi_index = bridge_ifindex;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) != 0)
    return fail(Error::from_errno(EMSGSIZE, what));
  // libnl keeps no bridge (master) attributes: the answer's IFLA_INFO_DATA is read here.
  struct Got {
    bool link = false, bridge = false;
    BridgeSettings s;
  } got;
  PODNET_TRY_VOID(s_->ask(
      std::move(msg),
      [](nl_msg* m, void* arg) -> int {
        auto* g = static_cast<Got*>(arg);
        nlmsghdr* h = nlmsg_hdr(m);
        if (h->nlmsg_type != RTM_NEWLINK) return NL_OK;
        g->link = true;
        nlattr* tb[IFLA_MAX + 1] = {};
        if (nlmsg_parse(h, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0 || !tb[IFLA_LINKINFO])
          return NL_OK;
        nlattr* info[IFLA_INFO_MAX + 1] = {};
        if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) < 0 ||
            !info[IFLA_INFO_KIND] || nla_get_string(info[IFLA_INFO_KIND]) != std::string("bridge"))
          return NL_OK;
        g->bridge = true;
        nlattr* br[IFLA_BR_MAX + 1] = {};
        if (!info[IFLA_INFO_DATA] ||
            nla_parse_nested(br, IFLA_BR_MAX, info[IFLA_INFO_DATA], nullptr) < 0)
          return NL_OK;
        if (br[IFLA_BR_STP_STATE]) g->s.stp_state = nla_get_u32(br[IFLA_BR_STP_STATE]);
        if (br[IFLA_BR_NF_CALL_IPTABLES])
          g->s.nf_call_iptables = nla_get_u8(br[IFLA_BR_NF_CALL_IPTABLES]) != 0;
        return NL_OK;
      },
      &got, what));
  if (!got.link) return fail(Error::from_errno(ENODEV, what));
  if (!got.bridge) return fail(Error::from_errno(EINVAL, what + ": not a bridge"));
  return got.s;
}

}  // namespace podnet::sys
