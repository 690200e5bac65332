#include "podnet/lab/topology.hpp"

#include <fmt/format.h>

#include "podnet/lab/named_netns.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/sys/sysctl.hpp"

namespace podnet::lab {
namespace {

constexpr uint32_t underlay_mtu = 1500;

net::Prefix underlay_address(const net::IpAddress& ip) {
  return net::Prefix(ip, 24);
}

}  // namespace

Result<> create_switch(std::string_view lab) {
  const std::string name = netns_switch(lab);
  PODNET_TRY_VOID(create_named_netns(name));
  auto ns = PODNET_TRY(sys::Netns::open(netns_path(name)));
  auto nl = PODNET_TRY(sys::Netlink::open_in(ns));
  if (auto r = nl.ensure_bridge(switch_bridge, underlay_mtu); !r)
    return fail(
        r.error().context(fmt::format("create bridge {} in netns {}", switch_bridge, name)));
  return {};
}

Result<> create_host(std::string_view lab, const HostSpec& host) {
  auto sw = PODNET_TRY(sys::Netns::open(netns_path(netns_switch(lab))));
  PODNET_TRY_VOID(create_named_netns(host.netns));
  auto ns = PODNET_TRY(sys::Netns::open(netns_path(host.netns)));
  auto sw_nl = PODNET_TRY(sys::Netlink::open_in(sw));
  auto bridge = PODNET_TRY(sw_nl.link_index(switch_bridge));
  sys::VethSpec veth;
  veth.host_name = host.port;
  veth.peer_name = "eth0";
  veth.peer_netns_fd = ns.fd();
  veth.mtu = underlay_mtu;
  veth.master = bridge;
  if (auto r = sw_nl.create_veth(veth); !r)
    return fail(r.error().context(fmt::format("connect netns {} to the switch", host.netns)));

  auto nl = PODNET_TRY(sys::Netlink::open_in(ns));
  auto eth0 = PODNET_TRY(nl.link_index("eth0"));
  auto where = [&](std::string_view what) {
    return fmt::format("{} in netns {}", what, host.netns);
  };
  if (auto r = nl.add_address(eth0, host.address); !r)
    return fail(r.error().context(where("add " + host.address.str() + " to eth0")));
  if (auto r = nl.set_up(eth0); !r) return fail(r.error().context(where("set eth0 up")));
  if (host.lo_extra) {
    auto lo = PODNET_TRY(nl.link_index("lo"));
    if (auto r = nl.add_address(lo, *host.lo_extra); !r)
      return fail(r.error().context(where("add " + host.lo_extra->str() + " to lo")));
  }
  if (host.gateway) {
    sys::Route def;
    def.dst = *net::Prefix::parse("0.0.0.0/0");
    def.gw = *host.gateway;
    def.ifindex = eth0;
    if (auto r = nl.add_route(def); !r)
      return fail(r.error().context(where("add default route via " + host.gateway->str())));
  }
  if (host.ip_forward) {
    auto r = sys::run_in(ns, [] { return sys::write_sysctl("net/ipv4/ip_forward", "1"); });
    if (!r) return fail(r.error().context(where("enable net.ipv4.ip_forward")));
  }
  return {};
}

HostSpec node_host(std::string_view lab, const NodePlan& node) {
  HostSpec h;
  h.netns = netns_node(lab, node.name);
  h.port = node.name;
  h.address = underlay_address(node.ip);
  h.gateway = *net::IpAddress::parse(gateway_ip);
  h.ip_forward = true;
  return h;
}

HostSpec ext_host(std::string_view lab) {
  HostSpec h;
  h.netns = netns_ext(lab);
  h.port = "ext";
  h.address = underlay_address(*net::IpAddress::parse(gateway_ip));
  h.lo_extra = net::Prefix(*net::IpAddress::parse(ext_lo_ip), 32);
  return h;
}

HostSpec etcd_host(std::string_view lab) {
  HostSpec h;
  h.netns = netns_etcd(lab);
  h.port = "etcd";
  h.address = underlay_address(*net::IpAddress::parse(etcd_ip));
  return h;
}

}  // namespace podnet::lab
