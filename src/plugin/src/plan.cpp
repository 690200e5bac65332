#include "podnet/plugin/plan.hpp"

#include <fmt/format.h>

namespace podnet::plugin {

using cni::Code;
using cni::CniError;
using net::IpAddress;
using net::Prefix;

namespace {
Prefix host_prefix(const IpAddress& a) { return Prefix(a, a.bits()); }
Prefix default_route(net::Family f) {
  return f == net::Family::v4 ? *Prefix::parse("0.0.0.0/0") : *Prefix::parse("::/0");
}
}  // namespace

std::expected<Plan, CniError> make_plan(const PluginConf& conf, const cni::Result& ipam,
                                        std::string_view container_id, std::string_view ifname) {
  Plan p;
  p.host_veth = host_veth_name(container_id, ifname);
  p.pod_ifname = std::string(ifname);
  if (ipam.ips.empty())
    return std::unexpected(CniError(Code::ipam_failure,
                                    fmt::format("IPAM plugin {} returned no IP address", conf.ipam_type)));
  for (const auto& ip : ipam.ips) {
    const Prefix& a = ip.address;
    if (a.length() == a.address().bits() && !ip.gateway && conf.mode == Mode::bridge)
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("ipam: address {} has no subnet and no gateway to route through", a.str())));
    if (ip.gateway && ip.gateway->family() != a.family())
      return std::unexpected(CniError(
          Code::invalid_config, fmt::format("ipam: gateway {} for address {} is of another family",
                                            ip.gateway->str(), a.str())));
    // host-local always names a gateway; others may not: use the subnet's first address.
    IpAddress gw = ip.gateway ? *ip.gateway : a.network().next();
    if (gw == a.address())
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("ipam: pod address {} is the gateway address", a.address().str())));
    p.addresses.push_back({a, gw});
    if (a.is_v4()) p.needs_ipv4_forwarding = true;
    else p.needs_ipv6_forwarding = true;
    if (conf.ip_masq) p.masq.push_back({a.address(), a.masked()});
  }

  p.pod_ipv6_link_local = conf.mode != Mode::bridge || p.needs_ipv6_forwarding;

  // Routes: in ptp mode the pod reaches its gateway as a link-scope /32, then everything
  // (its subnet included) through it; in bridge mode the subnet is on-link.
  std::vector<net::Family> have_default;
  for (const auto& pa : p.addresses) {
    if (conf.mode == Mode::ptp) {
      p.pod_routes.push_back({host_prefix(pa.gateway), std::nullopt, true, {}, {}, {}, {}});
      p.host_veth_addresses.push_back(host_prefix(pa.gateway));
      p.host_routes.push_back(host_prefix(pa.address.address()));
      p.pod_routes.push_back({pa.address.masked(), pa.gateway, false, {}, {}, {}, {}});
    } else if (conf.is_gateway) {
      Prefix on_bridge(pa.gateway, pa.address.length());
      bool dup = false;
      for (const auto& b : p.bridge_addresses) dup = dup || b == on_bridge;
      if (!dup) p.bridge_addresses.push_back(on_bridge);
    }
  }
  for (const auto& r : ipam.routes) {
    PodRoute pr{r.dst.masked(), r.gw, false, r.mtu, r.advmss, r.priority, r.table};
    if (!pr.gw) {
      // A route without gw goes through the family's gateway.
      for (const auto& pa : p.addresses)
        if (pa.gateway.family() == r.dst.family()) {
          pr.gw = pa.gateway;
          break;
        }
    }
    if (r.dst.length() == 0) have_default.push_back(r.dst.family());
    p.pod_routes.push_back(pr);
  }
  bool want_default = conf.mode == Mode::ptp || (conf.is_default_gateway && conf.is_gateway);
  if (want_default) {
    std::vector<net::Family> done = have_default;
    for (const auto& pa : p.addresses) {
      auto f = pa.address.family();
      if (std::find(done.begin(), done.end(), f) != done.end()) continue;
      p.pod_routes.push_back({default_route(f), pa.gateway, false, {}, {}, {}, {}});
      done.push_back(f);
    }
  }
  return p;
}

cni::Result make_result(const PluginConf& conf, const Plan& plan, const cni::Result& ipam,
                        const LinkFacts& links, const std::optional<cni::Result>& prev) {
  cni::Result r = prev.value_or(cni::Result{});
  // A prevResult without interfaces may carry dangling indexes (its decoder allows that);
  // once podnet's interfaces are appended they would name the wrong one or none.
  for (auto& ip : r.ips)
    if (ip.interface && (*ip.interface < 0 || static_cast<size_t>(*ip.interface) >= r.interfaces.size()))
      ip.interface.reset();
  int opt_mtu = conf.mtu;
  if (conf.mode == Mode::bridge)
    r.interfaces.push_back({conf.bridge, links.bridge_mac, opt_mtu, "", "", ""});
  r.interfaces.push_back({plan.host_veth, links.host_mac, opt_mtu, "", "", ""});
  r.interfaces.push_back({plan.pod_ifname, links.pod_mac, opt_mtu, links.netns, "", ""});
  int pod_index = static_cast<int>(r.interfaces.size()) - 1;
  for (const auto& pa : plan.addresses)
    r.ips.push_back({pa.address, pa.gateway, pod_index});
  for (const auto& pr : plan.pod_routes) {
    if (pr.link_scope) continue;  // an implementation detail of ptp, as in the reference
    cni::Route rt;
    rt.dst = pr.dst;
    rt.gw = pr.gw;
    rt.mtu = pr.mtu;
    rt.advmss = pr.advmss;
    rt.priority = pr.priority;
    rt.table = pr.table;
    // The pod's own subnet in ptp mode is a detail too; the default route says it all.
    bool own_subnet = false;
    for (const auto& pa : plan.addresses) own_subnet = own_subnet || pr.dst == pa.address.masked();
    if (own_subnet && conf.mode == Mode::ptp) continue;
    r.routes.push_back(rt);
  }
  if (!ipam.dns.empty()) r.dns = ipam.dns;
  return r;
}

std::vector<nft::MasqEntry> masq_entries_of(const cni::Result& r, std::string_view ifname) {
  std::vector<nft::MasqEntry> out;
  for (const auto& ip : r.ips) {
    if (ip.interface && *ip.interface >= 0 &&
        static_cast<size_t>(*ip.interface) < r.interfaces.size() &&
        r.interfaces[*ip.interface].name != ifname)
      continue;
    out.push_back({ip.address.address(), ip.address.masked()});
  }
  return out;
}

}  // namespace podnet::plugin
