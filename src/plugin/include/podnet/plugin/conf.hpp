#pragma once
// The `podnet` plugin's configuration: the reference bridge plugin's keys plus podnet's own.
#include <expected>
#include <optional>
#include <string>

#include "podnet/cni/env.hpp"
#include "podnet/cni/error.hpp"
#include "podnet/cni/netconf.hpp"

namespace podnet::plugin {

enum class Mode { bridge, ptp };

struct PluginConf {
  cni::NetConf net;
  Mode mode = Mode::bridge;
  std::string bridge = "podnet0";
  int mtu = 1500;
  bool is_gateway = true;          // gateway address on the bridge
  bool is_default_gateway = true;  // default route in the pod via the gateway
  bool force_address = false;      // replace a different bridge address in the same subnet
  bool hairpin_mode = false;
  bool promisc_mode = false;
  bool ip_masq = false;
  // gsoMaxSize: BIG TCP on both ends of the pair (GSO and GRO, IPv4 and IPv6). 0: the kernel's
  // 65536. Larger packets cut the per-packet cost of every hop; only for a node whose underlay
  // carries them (podnetd offers it for host-gw, not for vxlan).
  uint32_t gso_max_size = 0;
  std::string ipam_type = "podnet-ipam";
  std::optional<std::string> mac;  // pod-side MAC: runtimeConfig.mac, args.cni.mac, CNI_ARGS MAC
  std::string log_file;
  std::string log_level = "warn";
};

// Parses and validates; every error names the key (code 7 invalid, 2 unsupported).
std::expected<PluginConf, cni::CniError> parse_conf(const cni::NetConf& net, const cni::Env& env);

// Deterministic host-side veth name for an attachment: "pn" + 12 hex digits of a hash of
// container id and ifname, so DEL finds it without the netns and names are podnet's.
std::string host_veth_name(std::string_view container_id, std::string_view ifname);

}  // namespace podnet::plugin
