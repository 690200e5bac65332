#include "podnet/plugin/apply.hpp"

#include <fmt/format.h>

#include "podnet/plugin/bridge_error.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/sys/sysctl.hpp"

#include <unistd.h>

#include <ctime>

namespace podnet::plugin {

using cni::CniError;
using cni::Code;

std::expected<BridgeFacts, CniError> ensure_bridge(sys::Netlink& host, const PluginConf& conf) {
  // A fixed MAC keeps the gateway's MAC stable while ports come and go (a bridge otherwise
  // takes the lowest port MAC); it is random per creation, so nodes do not share it.
  auto seed = fmt::format("{}/{}/{}", conf.bridge, ::getpid(), ::time(nullptr));
  auto index =
      host.ensure_bridge(conf.bridge, static_cast<uint32_t>(conf.mtu), sys::Mac::from_seed(seed));
  if (!index) {
    if (index.error().sys_errno == EEXIST)
      return std::unexpected(CniError(
          Code::invalid_config, fmt::format("bridge: {} exists and is not a bridge", conf.bridge)));
    return std::unexpected(sys_error(index.error(), fmt::format("bridge {}", conf.bridge)));
  }
  auto info = host.link_info(*index);
  if (!info)
    return std::unexpected(bridge_error(
        info.error().sys_errno, fmt::format("bridge {}: {}", conf.bridge, info.error().message)));
  return BridgeFacts{*index, info->mac};
}

std::expected<void, CniError> ensure_bridge_addresses(sys::Netlink& host, const PluginConf& conf,
                                                      const Plan& plan, int bridge_index) {
  if (plan.bridge_addresses.empty()) return {};
  auto have = host.list_addresses(bridge_index);
  if (!have)
    return std::unexpected(
        bridge_error(have.error().sys_errno,
                     fmt::format("addresses of {}: {}", conf.bridge, have.error().message)));
  for (const auto& want : plan.bridge_addresses) {
    bool present = false;
    for (const auto& h : *have) {
      if (h == want) {
        present = true;
      } else if (h.family() == want.family() && h.masked().overlaps(want.masked()) &&
                 !(h.family() == net::Family::v6 && h.address().data()[0] == 0xfe)) {
        if (!conf.force_address)
          return std::unexpected(CniError(
              Code::invalid_config,
              fmt::format("bridge {} already has address {} in subnet {}; set forceAddress to "
                          "replace it with {}",
                          conf.bridge, h.str(), want.masked().str(), want.str())));
        if (auto r = host.del_address(bridge_index, h); !r)
          return std::unexpected(
              sys_error(r.error(), fmt::format("remove {} from {}", h.str(), conf.bridge)));
      }
    }
    if (present) continue;
    auto r = host.add_address(bridge_index, want);
    if (!r && r.error().sys_errno != EEXIST)  // a concurrent ADD may have added it
      return std::unexpected(bridge_error(
          r.error().sys_errno,
          fmt::format("add {} to {}: {}", want.str(), conf.bridge, r.error().message)));
  }
  return {};
}

std::expected<void, CniError> setup_host_side(sys::Netlink& host, const PluginConf& conf,
                                              const Plan& plan, int host_index) {
  if (conf.mode == Mode::bridge && conf.hairpin_mode) {
    if (auto r = host.set_hairpin(host_index, true); !r)
      return std::unexpected(sys_error(r.error(), fmt::format("hairpin on {}", plan.host_veth)));
  }
  for (const auto& a : plan.host_veth_addresses) {
    auto r = host.add_address(host_index, a);
    if (!r && r.error().sys_errno != EEXIST)
      return std::unexpected(
          sys_error(r.error(), fmt::format("add {} to {}", a.str(), plan.host_veth)));
  }
  for (const auto& dst : plan.host_routes) {
    sys::Route rt;
    rt.dst = dst;
    rt.ifindex = host_index;
    rt.scope = RT_SCOPE_LINK;
    if (auto r = host.replace_route(rt); !r)
      return std::unexpected(
          sys_error(r.error(), fmt::format("route {} dev {}", dst.str(), plan.host_veth)));
  }
  // The node forwards for its pods (the reference plugins enable it too). Only write when
  // needed: a sysctl write is a syscall pair on every ADD otherwise. Read with one request on
  // the socket already open (RTM_GETNETCONF), cheaper than a /proc/sys path walk in this fresh
  // process; /proc/sys only if the kernel does not answer it.
  auto forward = [&](net::Family family, const char* key) -> std::expected<void, CniError> {
    auto on = host.forwarding(family);
    if (on ? *on == 1 : sys::read_sysctl(key).value_or("") == "1") return {};
    if (auto r = sys::write_sysctl(key, "1"); !r) return std::unexpected(sys_error(r.error(), key));
    return {};
  };
  if (conf.mode == Mode::ptp || conf.is_gateway) {
    if (plan.needs_ipv4_forwarding)
      if (auto r = forward(net::Family::v4, "net/ipv4/ip_forward"); !r) return r;
    if (plan.needs_ipv6_forwarding)
      if (auto r = forward(net::Family::v6, "net/ipv6/conf/all/forwarding"); !r) return r;
  }
  return {};
}

std::expected<std::string, CniError> setup_pod_side(const sys::Netns& podns, const PluginConf& conf,
                                                    const Plan& plan) {
  auto nl = sys::Netlink::open_in(podns);
  if (!nl) return std::unexpected(sys_error(nl.error(), fmt::format("enter {}", podns.path())));
  auto link = nl->link_info(plan.pod_ifname);
  if (!link)
    return std::unexpected(
        sys_error(link.error(), fmt::format("{} in {}", plan.pod_ifname, podns.path())));
  if (!plan.pod_ipv6_link_local)
    if (auto r = nl->set_ipv6_link_local(link->index, false); !r)
      return std::unexpected(sys_error(r.error(), fmt::format("{} in pod", plan.pod_ifname)));
  if (conf.gso_max_size)
    if (auto r = nl->set_gso_max_size(link->index, conf.gso_max_size); !r)
      return std::unexpected(
          sys_error(r.error(), fmt::format("gsoMaxSize on {} in pod", plan.pod_ifname)));
  if (auto r = nl->set_up(link->index); !r)
    return std::unexpected(sys_error(r.error(), fmt::format("set {} up", plan.pod_ifname)));
  for (const auto& pa : plan.addresses) {
    sys::AddrOptions opts;
    opts.noprefixroute = conf.mode == Mode::ptp;  // everything goes through the gateway
    if (auto r = nl->add_address(link->index, pa.address, opts); !r)
      return std::unexpected(
          sys_error(r.error(), fmt::format("add {} to {}", pa.address.str(), plan.pod_ifname)));
  }
  for (const auto& pr : plan.pod_routes) {
    sys::Route rt;
    rt.dst = pr.dst;
    rt.gw = pr.gw;
    rt.ifindex = link->index;
    if (pr.link_scope) rt.scope = RT_SCOPE_LINK;
    if (pr.table) rt.table = static_cast<uint32_t>(*pr.table);
    if (pr.mtu) rt.mtu = static_cast<uint32_t>(*pr.mtu);
    if (pr.advmss) rt.advmss = static_cast<uint32_t>(*pr.advmss);
    if (pr.priority) rt.priority = static_cast<uint32_t>(*pr.priority);
    if (auto r = nl->add_route(rt); !r && r.error().sys_errno != EEXIST)
      return std::unexpected(sys_error(
          r.error(),
          fmt::format("route {} via {} in pod", pr.dst.str(), pr.gw ? pr.gw->str() : "-")));
  }
  return link->mac;
}

}  // namespace podnet::plugin
