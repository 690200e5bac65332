#pragma once
// podnetd's command line (docs/contracts.md) and how its cluster flags become a ClusterConfig.
// Pure, no I/O: every error is one line naming the flag, and main exits 2 with it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/conflist.hpp"
#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::agent {

struct ListenAddr {
  net::IpAddress ip;
  uint16_t port = 0;
  std::string str() const;  // "127.0.0.1:9402", "[::1]:9402"
  friend bool operator==(const ListenAddr&, const ListenAddr&) = default;
};

struct Options {
  std::string node;
  std::string store_url;
  std::string iface = "eth0";
  std::optional<net::IpAddress> ip;
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::string state_dir = "/var/lib/podnetd";
  std::string ipam_data_dir;
  // Routed pods by default: no node bridge, so a pod packet crosses one veth pair and a route,
  // not a veth pair plus a bridge (measured: host-gw pod-to-pod 0.99x the underlay and same-node
  // 1.02x a raw veth pair in ptp mode, 0.89x / 0.90x in bridge mode). `--mode bridge` keeps the
  // reference bridge plugin's shape.
  cluster::PodMode mode = cluster::PodMode::ptp;
  // BIG TCP for pods (the conflist's gsoMaxSize); 0: the kernel's 65536. Opt-in, as it needs an
  // underlay that carries such packets: host-gw only.
  uint32_t pod_gso_max_size = 0;
  std::optional<ListenAddr> listen = ListenAddr{*net::IpAddress::parse("127.0.0.1"), 9402};
  std::chrono::seconds lease_ttl{30};
  // The full pass (every route reconciled against the kernel, the masquerade table replaced):
  // how long a change made by hand (a route or nft rule deleted) stays, at most.
  std::chrono::seconds resync_period{30};
  // The service proxy's full resync whatever changed (kube-proxy's nftables mode: hourly);
  // every resync_period it only checks that its table is whole.
  std::chrono::seconds proxy_full_sync_period{3600};
  // Cluster flags: only used to create /podnet/config when absent; set = given explicitly.
  std::optional<net::Prefix> cluster_cidr;
  std::optional<int> node_subnet_len;
  std::optional<net::Prefix> service_cidr;
  std::optional<cluster::BackendType> backend;
  std::optional<uint32_t> vni;
  std::optional<uint16_t> vxlan_port;
  std::optional<bool> direct_routing;  // --direct-routing (vxlan: on-link peers unencapsulated)
  bool leave = false;
  log::Level log_level = log::Level::info;
  std::string log_file;
  bool help = false;
  bool version = false;
};

// Parses the arguments after argv[0]: "--flag value" or "--flag=value". --help/--version
// short-circuit the required-flag checks.
Result<Options> parse_args(std::span<const std::string> args);
std::string usage();

// "ADDR:PORT" ("[v6]:PORT" for IPv6); empty text: nullopt (the endpoint is off).
Result<std::optional<ListenAddr>> parse_listen(std::string_view text);

// The cluster config the flags describe (defaults for what was not given), validated; errors
// name the flag ("--service-cidr: 10.96.0.0/12 overlaps clusterCIDR 10.0.0.0/8").
Result<cluster::ClusterConfig> config_from_flags(const Options& o);

// Why --pod-gso-max-size cannot be used with this backend, if it cannot: BIG TCP is for
// native routing (measured: with the VTEP at 256 KiB, traffic over it collapsed into
// retransmit storms).
std::optional<std::string> pod_gso_problem(const Options& o, cluster::BackendType backend);

// Explicitly given cluster flags that disagree with the stored config, one message each
// ("--cluster-cidr 10.0.0.0/8 differs from the store's 192.168.0.0/16"); the store wins.
std::vector<std::string> config_conflicts(const Options& o, const cluster::ClusterConfig& stored);

}  // namespace podnet::agent
