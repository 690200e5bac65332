#pragma once
// The lab's plan: which nodes exist, their addresses, the names of the lab's network
// namespaces and the lab's directories (docs/contracts.md "Lab layout"). Pure, no I/O.
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/conflist.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::lab {

inline constexpr std::string_view default_lab = "podnet";
inline constexpr std::string_view default_base_dir = "/run/podnet-lab";
inline constexpr int max_nodes = 64;

// Underlay 10.1.1.0/24: the ext host is the nodes' gateway, etcd sits next to it.
inline constexpr std::string_view underlay_cidr = "10.1.1.0/24";
inline constexpr std::string_view gateway_ip = "10.1.1.1";
inline constexpr std::string_view etcd_ip = "10.1.1.2";
inline constexpr int etcd_client_port = 2379;
inline constexpr std::string_view ext_lo_ip = "203.0.113.1";  // TEST-NET-3: "the outside"
inline constexpr std::string_view switch_bridge = "sw0";

enum class StoreKind { sqlite, etcd };
std::string_view to_string(StoreKind k);

// What `lab up` was asked for, validated.
struct LabSpec {
  std::string name{default_lab};
  int nodes = 3;
  StoreKind store = StoreKind::sqlite;
  cluster::BackendType backend = cluster::BackendType::vxlan;
  bool direct_routing = false;  // vxlan only: the cluster config's backend.directRouting
  // How every node's podnetd wires pods (`podnetd --mode`): routed veths or a node bridge.
  cluster::PodMode mode = cluster::PodMode::ptp;
  friend bool operator==(const LabSpec&, const LabSpec&) = default;
};

// "vxlan", "host-gw" or "vxlan (direct routing)": how `lab up` and `lab status` name the backend.
std::string backend_label(const LabSpec& spec);
// backend_label, then ", bridge mode" for bridge-mode pods (routed pods are the default, as
// direct routing's absence is): how `lab up`, `lab status` and `graph` name the lab's wiring.
std::string wiring_label(const LabSpec& spec);

// Errors are one line naming the argument: `--nodes: 0 is not in 1..64`.
Result<> validate_lab_name(std::string_view name);
Result<int> parse_nodes(std::string_view text);
Result<StoreKind> parse_store_kind(std::string_view text);
Result<cluster::BackendType> parse_backend(std::string_view text);
Result<cluster::PodMode> parse_mode(std::string_view text);
Result<LabSpec> make_spec(std::string_view name, std::string_view nodes, std::string_view store,
                          std::string_view backend, bool direct_routing = false,
                          std::string_view mode = "ptp");

struct NodePlan {
  std::string name;   // lxb001
  net::IpAddress ip;  // 10.1.1.15
  friend bool operator==(const NodePlan&, const NodePlan&) = default;
};

// The first n nodes of the seed order: lxb001-lxb004 (.15-.18), lxcc01-lxcc03 (.9-.11), then
// lxb005... (.19...). n must be in 1..max_nodes.
Result<std::vector<NodePlan>> plan_nodes(int n);

// ---- names: netns (files under /var/run/netns) and the switch ports
std::string netns_switch(std::string_view lab);                       // <lab>-sw
std::string netns_ext(std::string_view lab);                          // <lab>-ext
std::string netns_etcd(std::string_view lab);                         // <lab>-etcd
std::string netns_node(std::string_view lab, std::string_view node);  // <lab>-<node>
// <lab>-pod-<pod> in the default namespace, <lab>-pod-<pod>.<ns> in others (names are DNS
// labels, so the dot cannot be part of either).
std::string netns_pod(std::string_view lab, std::string_view ns, std::string_view pod);
std::string pod_netns_prefix(std::string_view lab);   // <lab>-pod-
std::string netns_path(std::string_view netns_name);  // /var/run/netns/<name>
// True for every netns name the lab `lab` can have made, also without its lab.json (leftovers
// of a crash): <lab>-sw|ext|etcd, <lab>-pod-*, <lab>-lxb<digits>, <lab>-lxcc<digits>.
bool is_lab_netns(std::string_view lab, std::string_view netns_name);

// ---- directories and files
struct LabPaths {
  std::string root;  // /run/podnet-lab/<lab>
  std::string lab_json() const { return root + "/lab.json"; }
  std::string store_db() const { return root + "/store.db"; }
  std::string logs() const { return root + "/logs"; }
  std::string log(std::string_view process) const;  // logs/<process>.log
  std::string cni_bin() const { return root + "/cni-bin"; }
  std::string etcd_data() const { return root + "/etcd"; }
  std::string node_dir(std::string_view node) const;      // nodes/<node>
  std::string cni_conf_dir(std::string_view node) const;  // nodes/<node>/net.d
  std::string conflist(std::string_view node) const;      // nodes/<node>/net.d/10-podnet.conflist
  std::string ipam_dir(std::string_view node) const;      // nodes/<node>/ipam
  std::string state_dir(std::string_view node) const;     // nodes/<node>/state
};
LabPaths lab_paths(std::string_view lab, std::string_view base = default_base_dir);

// sqlite:///run/podnet-lab/<lab>/store.db or etcd://10.1.1.2:2379?insecure=1
std::string store_url(StoreKind kind, const LabPaths& paths);

// The /podnet/config the lab writes: cluster 192.168.0.0/16, /24 per node, services
// 10.96.0.0/12, the chosen backend.
cluster::ClusterConfig lab_cluster_config(const LabSpec& spec);

}  // namespace podnet::lab
