// Interface addresses.
#include <linux/if_addr.h>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

Result<nl::AddrPtr> make_addr(int ifindex, const net::Prefix& p, std::string_view what) {
  nl::AddrPtr a(rtnl_addr_alloc());
  auto local = nl::to_nl(p);
  if (!a || !local) return fail(Error::from_errno(ENOMEM, std::string(what)));
  rtnl_addr_set_ifindex(a.get(), ifindex);
  if (rtnl_addr_set_local(a.get(), local.get()) < 0)
    return fail(Error::from_errno(EINVAL, std::string(what)));
  rtnl_addr_set_prefixlen(a.get(), p.length());
  return a;
}

}  // namespace

Result<> Netlink::add_address(int ifindex, const net::Prefix& addr, AddrOptions opts) {
  std::string what = fmt::format("add address {} to link #{}", addr.str(), ifindex);
  auto a = PODNET_TRY(make_addr(ifindex, addr, what));
  unsigned flags = 0;
  if (!addr.is_v4() && opts.nodad) flags |= IFA_F_NODAD;
  if (opts.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
  if (flags) rtnl_addr_set_flags(a.get(), flags);
  return s_->call(what, [&](nl_sock* sk) { return rtnl_addr_add(sk, a.get(), NLM_F_EXCL); });
}

Result<bool> Netlink::del_address(int ifindex, const net::Prefix& addr) {
  std::string what = fmt::format("delete address {} from link #{}", addr.str(), ifindex);
  auto a = PODNET_TRY(make_addr(ifindex, addr, what));
  auto r = s_->call(what, [&](nl_sock* sk) { return rtnl_addr_delete(sk, a.get(), 0); });
  if (!r) {
    if (r.error().sys_errno == EADDRNOTAVAIL) return false;
    return fail(r.error());
  }
  return true;
}

Result<std::vector<net::Prefix>> Netlink::list_addresses(int ifindex,
                                                         std::optional<net::Family> family) {
  std::vector<net::Prefix> out;
  ifaddrmsg hdr{};
  hdr.ifa_family = family ? nl::family_of(*family) : AF_UNSPEC;
  hdr.ifa_index = static_cast<uint32_t>(ifindex);
  PODNET_TRY_VOID(s_->dump(
      RTM_GETADDR, &hdr, sizeof hdr,
      [&](nl_object* o) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_ifindex(a) != ifindex) return;
        if (family && rtnl_addr_get_family(a) != nl::family_of(*family)) return;
        if (auto ip = nl::to_ip(rtnl_addr_get_local(a)))
          out.emplace_back(*ip, rtnl_addr_get_prefixlen(a));
      },
      [&] { out.clear(); }, fmt::format("list addresses of link #{}", ifindex)));
  return out;
}

}  // namespace podnet::sys
