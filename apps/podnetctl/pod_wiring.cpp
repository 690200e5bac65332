#include "pod_wiring.hpp"

#include <linux/if_bridge.h>

#include <fmt/format.h>

#include "podnet/common/files.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/sysctl.hpp"

namespace podnet::ctl {
namespace {

// The conflist's first plugin: its mode and bridge (mode absent: the plugin's default, bridge).
Result<> read_conflist(PodWiring& w) {
  auto text = PODNET_TRY(read_file_bounded(w.conflist, json_default_max_bytes));
  auto j = PODNET_TRY(
      parse_json_bounded(text, json_default_max_depth, json_default_max_bytes, w.conflist));
  const auto* plugins = j.is_object() && j.contains("plugins") ? &j["plugins"] : nullptr;
  if (!plugins || !plugins->is_array() || plugins->empty() || !(*plugins)[0].is_object())
    return fail(w.conflist + ": no plugins[0]");
  const auto& p = (*plugins)[0];
  w.mode = p.value("mode", "bridge");
  if (w.mode == "bridge") w.bridge = p.value("bridge", "cni0");
  return {};
}

Result<> read_bridge(const sys::Netns& ns, net::Family family, PodWiring& w) {
  auto nl = PODNET_TRY(sys::Netlink::open_in(ns));
  auto info = nl.link_info(w.bridge);
  if (!info) {
    if (info.error().sys_errno == ENODEV) return {};
    return fail(info.error());
  }
  w.exists = true;
  w.up = info->up;
  w.mac = info->mac;
  for (const auto& a : PODNET_TRY(nl.list_addresses(info->index, family)))
    w.addresses.push_back(a.str());
  for (const auto& p : PODNET_TRY(nl.list_bridge_ports()))
    if (p.master == info->index) {
      ++w.ports;
      if (p.state == BR_STATE_FORWARDING) ++w.forwarding;
    }
  const auto settings = PODNET_TRY(nl.bridge_settings(info->index));
  auto sysctl =
      sys::run_in(ns, [] { return sys::read_sysctl("net/bridge/bridge-nf-call-iptables"); });
  if (sysctl)
    w.netfilter = *sysctl == "1" || settings.nf_call_iptables;
  else if (sysctl.error().sys_errno != ENOENT)
    return fail(sysctl.error());
  return {};
}

}  // namespace

PodWiring read_pod_wiring(const sys::Netns& ns, const std::string& conflist,
                          const net::Prefix& pod_cidr, size_t pods) {
  PodWiring w{.conflist = conflist, .pods = pods};
  if (auto r = read_conflist(w); !r) {
    w.mode.clear();
    w.error = r.error().message;
    return w;
  }
  if (w.mode != "bridge") return w;
  // The plugin's gateway: the subnet's first address (isGateway puts it on the bridge).
  w.gateway = net::Prefix(pod_cidr.network().next(), pod_cidr.length()).str();
  if (auto r = read_bridge(ns, pod_cidr.family(), w); !r) {
    w.mode.clear();
    w.error = r.error().context("bridge " + w.bridge).message;
  }
  return w;
}

}  // namespace podnet::ctl
