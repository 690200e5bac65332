#pragma once
// What one ADD programs, decided from the configuration and the IPAM result (pure): the
// system code only applies it, and CHECK compares the kernel against it.
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "podnet/cni/result.hpp"
#include "podnet/nft/masq_plan.hpp"
#include "podnet/plugin/conf.hpp"

namespace podnet::plugin {

struct PodAddress {
  net::Prefix address;  // as IPAM gave it (pod IP with its subnet length)
  net::IpAddress gateway;
};

struct PodRoute {
  net::Prefix dst;
  std::optional<net::IpAddress> gw;
  bool link_scope = false;  // ptp: the gateway /32 reached directly on eth0
  std::optional<int> mtu, advmss, priority, table;
};

struct Plan {
  std::string host_veth;
  std::string pod_ifname;
  std::vector<PodAddress> addresses;
  std::vector<PodRoute> pod_routes;  // in order: link routes before routes via them
  // bridge mode: gateway addresses to hold on the bridge (gw with the subnet length)
  std::vector<net::Prefix> bridge_addresses;
  // ptp mode: gateway /32 (/128) on the host veth and a host route to each pod address
  std::vector<net::Prefix> host_veth_addresses;
  std::vector<net::Prefix> host_routes;
  std::vector<nft::MasqEntry> masq;
  bool needs_ipv4_forwarding = false;
  bool needs_ipv6_forwarding = false;
  // An IPv6 link-local address on the pod's interface. Off for an IPv4-only pod on a bridge:
  // its DAD, MLD and router solicitations would be flooded to every port of the node bridge,
  // work that grows with the pods on the node (measured: ADD of pod 1000 ~2x pod 1).
  bool pod_ipv6_link_local = true;
};

// A bridge port (bridge mode's host veth) carries no address: no IPv6 link-local either, so
// it sends nothing of its own into the bridge.
inline bool host_ipv6_link_local(const PluginConf& conf) { return conf.mode != Mode::bridge; }

std::expected<Plan, cni::CniError> make_plan(const PluginConf& conf, const cni::Result& ipam,
                                             std::string_view container_id,
                                             std::string_view ifname);

struct LinkFacts {
  std::string bridge_mac, host_mac, pod_mac;
  std::string netns;
};

// The ADD result: prevResult (chaining) amended with podnet's interfaces, IPs and routes.
cni::Result make_result(const PluginConf& conf, const Plan& plan, const cni::Result& ipam,
                        const LinkFacts& links, const std::optional<cni::Result>& prev);

// The masquerade entries an earlier result implies (for DEL with prevResult).
std::vector<nft::MasqEntry> masq_entries_of(const cni::Result& r, std::string_view ifname);

}  // namespace podnet::plugin
