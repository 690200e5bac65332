#include <fmt/format.h>

#include <algorithm>

#include "podnet/cni/exec.hpp"
#include "podnet/common/error.hpp"
#include "podnet/nft/masq_table.hpp"
#include "podnet/plugin/commands.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/plugin/ipam_call.hpp"
#include "podnet/plugin/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

using cni::CniError;
using cni::Code;

namespace {

std::unexpected<CniError> drift(std::string m) {
  return std::unexpected(CniError(Code::check_drift, std::move(m)));
}

// Compares the pod's interface, addresses and routes with prevResult.
std::expected<int, CniError> check_pod(const sys::Netns& ns, const cni::Result& prev,
                                       const std::string& ifname) {
  auto nl = sys::Netlink::open_in(ns);
  if (!nl) return std::unexpected(sys_error(nl.error(), fmt::format("enter {}", ns.path())));
  auto link = nl->link_info(ifname);
  if (!link) return drift(fmt::format("interface {} is missing in {}", ifname, ns.path()));
  if (link->kind != "veth")
    return drift(fmt::format("interface {} is a {}, not a veth", ifname,
                             link->kind.empty() ? "device" : link->kind));
  int pod_idx = -1;
  for (size_t i = 0; i < prev.interfaces.size(); ++i)
    if (prev.interfaces[i].name == ifname && !prev.interfaces[i].sandbox.empty())
      pod_idx = static_cast<int>(i);
  if (pod_idx < 0) return drift(fmt::format("prevResult has no interface {} in a sandbox", ifname));
  const auto& want_if = prev.interfaces[pod_idx];
  if (!want_if.mac.empty() && want_if.mac != link->mac)
    return drift(fmt::format("{} has MAC {}, prevResult says {}", ifname, link->mac, want_if.mac));
  if (!link->up) return drift(fmt::format("{} is down", ifname));
  auto addrs = nl->list_addresses(link->index);
  if (!addrs)
    return std::unexpected(sys_error(addrs.error(), fmt::format("addresses of {}", ifname)));
  for (const auto& ip : prev.ips) {
    if (ip.interface && *ip.interface != pod_idx) continue;
    if (std::find(addrs->begin(), addrs->end(), ip.address) == addrs->end())
      return drift(fmt::format("address {} is missing on {}", ip.address.str(), ifname));
  }
  for (const auto& r : prev.routes) {
    auto have = nl->list_routes(
        r.dst.family(), {r.table ? std::optional<uint32_t>(*r.table) : std::nullopt, {}, {}});
    if (!have) return std::unexpected(sys_error(have.error(), "list routes"));
    bool found = std::any_of(have->begin(), have->end(), [&](const sys::Route& k) {
      return k.dst == r.dst.masked() && (!r.gw || k.gw == r.gw);
    });
    if (!found)
      return drift(fmt::format("route {}{} is missing in the pod", r.dst.str(),
                               r.gw ? " via " + r.gw->str() : ""));
  }
  return link->link;  // the host peer's ifindex
}

}  // namespace

cni::CmdResult cmd_check(const cni::CmdArgs& args) {
  const auto& env = args.env;
  auto conf = PODNET_TRY(load_conf(args));
  if (!conf.net.prev_result)
    return std::unexpected(CniError(Code::invalid_config,
                                    "prevResult: missing (CHECK compares against the ADD result)"));
  const auto& prev = *conf.net.prev_result;

  auto ipam_target = PODNET_TRY(resolve_ipam(conf.ipam_type, args));
  if (auto r = call_ipam(ipam_target, cni::Command::check, args); !r) {
    auto e = r.error();
    e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  }

  auto ns = sys::Netns::open(env.netns);
  if (!ns)
    return std::unexpected(
        CniError(Code::invalid_env, fmt::format("CNI_NETNS: {}", ns.error().message)));
  int peer = PODNET_TRY(check_pod(*ns, prev, env.ifname));

  auto host = sys::Netlink::open();
  if (!host) return std::unexpected(sys_error(host.error(), "open rtnetlink"));
  std::string host_veth = host_veth_name(env.container_id, env.ifname);
  auto hl = host->link_info(host_veth);
  if (!hl) return drift(fmt::format("host interface {} is missing", host_veth));
  if (hl->index != peer)
    return drift(fmt::format("{} is not the peer of the pod's {}", host_veth, env.ifname));
  if (!hl->up) return drift(fmt::format("host interface {} is down", host_veth));
  if (conf.mode == Mode::bridge) {
    auto br = host->link_info(conf.bridge);
    if (!br) return drift(fmt::format("bridge {} is missing", conf.bridge));
    if (hl->master != br->index)
      return drift(fmt::format("{} is not attached to bridge {}", host_veth, conf.bridge));
  }
  if (conf.ip_masq) {
    auto table = nft::MasqTable::open();
    if (!table) return std::unexpected(sys_error(table.error(), "nftables"));
    std::string tag = nft::attachment_tag(conf.net.name, env.container_id, env.ifname);
    auto listed = table->list();
    if (!listed) return std::unexpected(sys_error(listed.error(), "ipMasq"));
    for (const auto& want : nft::masq_elements(masq_entries_of(prev, env.ifname), tag)) {
      bool present = std::any_of(listed->begin(), listed->end(), [&](const nft::SetElement& e) {
        return e.set == want.set && e.key == want.key && e.key_end == want.key_end;
      });
      if (!present)
        return drift(fmt::format("ipMasq: the pod's entry in set {} is missing", want.set));
    }
  }
  return nlohmann::json();
}

}  // namespace podnet::plugin
