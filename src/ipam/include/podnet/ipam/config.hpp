#pragma once
// podnet-ipam's configuration: host-local's keys, parsed and validated so that every error
// names the offending field (CNI code 7). Pure.
#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "podnet/cni/error.hpp"
#include "podnet/cni/netconf.hpp"
#include "podnet/cni/result.hpp"
#include "podnet/ipam/range.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::ipam {

inline constexpr std::string_view kDefaultDataDir = "/var/lib/cni/networks";

// Where a network's allocations live: dataDir/<network>. All DEL and GC need.
struct StoreLocation {
  std::string data_dir;
  std::string network;
  // ipam.lockTimeoutMs (podnet extension): how long a command waits for another holder of the
  // network's lock before answering "try again later" (code 11).
  std::chrono::milliseconds lock_timeout{30000};
  std::string dir() const { return data_dir + "/" + network; }
};

struct IpamConfig {
  StoreLocation location;
  std::vector<RangeSet> range_sets;  // one address per set
  std::vector<cni::Route> routes;
  std::string resolv_conf;  // path; empty: no DNS in the result
  // The requested address for each range set (CNI_ARGS IP=, args.cni.ips,
  // runtimeConfig.ips), already checked to be allocatable in that set.
  std::vector<std::optional<net::IpAddress>> requested;
};

using CniArgs = std::vector<std::pair<std::string, std::string>>;

// name + ipam.dataDir only: DEL and GC must work even when the ranges are broken.
std::expected<StoreLocation, cni::CniError> parse_location(const cni::NetConf& conf);

// The whole configuration. Range sets come, as in host-local, from runtimeConfig.ipRanges,
// then the legacy single range at ipam top level (subnet/rangeStart/rangeEnd/gateway), then
// ipam.ranges.
std::expected<IpamConfig, cni::CniError> parse_ipam_config(const cni::NetConf& conf,
                                                           const CniArgs& cni_args);

}  // namespace podnet::ipam
