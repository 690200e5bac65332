// Per-namespace IP settings read over rtnetlink (RTM_GETNETCONF) instead of /proc/sys: one
// request on the socket already open, where a /proc/sys lookup slows down as links (and their
// conf/ directories) accumulate.
#include <linux/netconf.h>

#include <fmt/format.h>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

int on_netconf(nl_msg* msg, void* arg) {
  auto* out = static_cast<std::optional<int>*>(arg);
  nlattr* tb[NETCONFA_MAX + 1] = {};
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != RTM_NEWNETCONF) return NL_SKIP;
  if (nlmsg_parse(h, sizeof(netconfmsg), tb, NETCONFA_MAX, nullptr) < 0) return NL_SKIP;
  if (tb[NETCONFA_FORWARDING]) *out = nla_get_s32(tb[NETCONFA_FORWARDING]);
  return NL_OK;
}

}  // namespace

Result<int> Netlink::forwarding(net::Family family) {
  std::string what =
      fmt::format("netconf {} forwarding (all)", family == net::Family::v4 ? "ipv4" : "ipv6");
  nl::MsgPtr msg(nlmsg_alloc_simple(RTM_GETNETCONF, 0));  // no dump: the one "all" entry
  netconfmsg ncm{};
  ncm.ncm_family = static_cast<unsigned char>(nl::family_of(family));
  if (!msg || nlmsg_append(msg.get(), &ncm, sizeof ncm, NLMSG_ALIGNTO) < 0 ||
      nla_put_s32(msg.get(), NETCONFA_IFINDEX, NETCONFA_IFINDEX_ALL) < 0)
    return fail(Error::from_errno(ENOMEM, what));
  std::optional<int> value;
  PODNET_TRY_VOID(s_->ask(std::move(msg), on_netconf, &value, what));
  if (!value) return fail(Error::from_errno(EOPNOTSUPP, what + ": no forwarding attribute"));
  return *value;
}

}  // namespace podnet::sys
