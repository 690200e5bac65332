#pragma once
// The cluster configuration: the JSON object at store key /podnet/config, written once by the
// operator (or `podnetctl lab up`) and read by every podnetd. Pure, no I/O.
//
//   {"clusterCIDR": "192.168.0.0/16", "nodeSubnetLen": 24, "serviceCIDR": "10.96.0.0/12",
//    "nodePortRange": {"min": 30000, "max": 32767},
//    "backend": {"type": "vxlan", "vni": 1, "port": 8472, "directRouting": false}}
//
// Every key but clusterCIDR may be left out and takes the default below.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

inline constexpr std::string_view config_key = "/podnet/config";

enum class BackendType { vxlan, host_gw };
std::string_view to_string(BackendType t);  // "vxlan", "host-gw"

struct Backend {
  BackendType type = BackendType::vxlan;
  uint32_t vni = 1;  // VXLAN network identifier, 1..16777215 (ignored by host-gw)
  // VXLAN UDP port. 8472 is the Linux kernel's historical default and flannel's, not IANA's
  // 4789: a podnet node can then sit next to flannel/Canal tooling and firewall rules that
  // already open 8472. Operators who want 4789 set it here (ignored by host-gw).
  uint16_t port = 8472;
  // vxlan only (flannel's DirectRouting): a peer on the same L2 segment as this node's underlay
  // gets a direct route as with host-gw, unencapsulated; the others go through the overlay.
  bool directRouting = false;
  friend bool operator==(const Backend&, const Backend&) = default;
};

struct PortRange {
  uint16_t min = 30000;
  uint16_t max = 32767;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct ClusterConfig {
  net::Prefix clusterCIDR = *net::Prefix::parse("192.168.0.0/16");
  int nodeSubnetLen = 24;
  net::Prefix serviceCIDR = *net::Prefix::parse("10.96.0.0/12");
  PortRange nodePortRange;
  Backend backend;
  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// Checks the invariants the parser cannot (and that a hand-built config may break). Errors are
// one line naming the field, e.g. "serviceCIDR: 10.96.0.0/12 overlaps clusterCIDR 10.0.0.0/8".
Result<> validate(const ClusterConfig& c);

nlohmann::json to_json(const ClusterConfig& c);
// Parses and validates. Unknown keys are ignored (forward compatibility).
Result<ClusterConfig> config_from_json(const nlohmann::json& j);
// Parses text (the store value) and validates.
Result<ClusterConfig> parse_config(std::string_view text);

}  // namespace podnet::cluster
