#pragma once
// Applies parts of a Plan to the kernel (system code, used by ADD).
#include <expected>
#include <string>

#include "podnet/cni/error.hpp"
#include "podnet/plugin/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

struct BridgeFacts {
  int index = 0;
  std::string mac;
};

// Creates the node bridge if missing (before the address is known, so the pair can be made
// while IPAM runs).
std::expected<BridgeFacts, cni::CniError> ensure_bridge(sys::Netlink& host, const PluginConf& conf);
// Makes the bridge hold the gateway addresses; refuses to replace a different address in the
// same subnet unless forceAddress.
std::expected<void, cni::CniError> ensure_bridge_addresses(sys::Netlink& host, const PluginConf& conf,
                                                           const Plan& plan, int bridge_index);
// Hairpin, ptp gateway addresses and host routes, forwarding sysctls.
std::expected<void, cni::CniError> setup_host_side(sys::Netlink& host, const PluginConf& conf,
                                                   const Plan& plan, int host_index);
// Addresses and routes on the pod interface; returns its MAC.
std::expected<std::string, cni::CniError> setup_pod_side(const sys::Netns& podns,
                                                         const PluginConf& conf, const Plan& plan);

}  // namespace podnet::plugin
