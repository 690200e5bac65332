#pragma once
// `podnetctl inspect node NAME`: everything podnet does on one node in one report (its lease,
// backend, VTEP, the entries programmed for each peer matched against the plan, the masquerade
// table, the Service proxy, and podnetd's own health), as text for people and JSON for
// machines (-o yaml prints the JSON's shape). Pure: formatting only; the command gathers the
// facts from the store, the node's kernel and podnetd's /status.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/node_match.hpp"
#include "core/pod_wiring_view.hpp"

namespace podnet::ctl {

struct NodeInspection {
  std::string node;
  std::string internal_ip;  // from the node's store entry
  std::string pod_cidr;
  int64_t heartbeat = 0;  // status.heartbeat (unix seconds)
  int64_t now = 0;        // unix seconds when the report was made

  // The subnet lease: /podnet/subnets/<cidr> (who holds it, under which store lease).
  std::string lease_key;
  bool lease_found = false;
  std::string lease_holder;
  int64_t lease_id = 0;

  std::string backend;  // "vxlan" | "host-gw"
  uint32_t vni = 0;     // vxlan
  uint32_t port = 0;    // vxlan
  bool direct_routing = false;

  // The VTEP (vxlan): what the kernel has, and each attribute matched against the plan.
  std::string vtep_name;
  VtepFacts vtep;
  std::vector<EntryRow> vtep_rows;

  std::string underlay;            // "eth0 (ifindex 2, mtu 1500)"
  PodWiring pods;                  // the conflist's mode and, in bridge mode, the bridge
  std::vector<std::string> notes;  // node entries the plan skips or refuses, one line each
  std::string error;               // why peers could not be matched (plan or kernel); "" ok
  NodeMatch match;

  std::string masq_table;  // "ip podnet"
  std::vector<EntryRow> masq_rows;
  std::string masq_error;

  // The Service proxy: what the store asks for on this node, and each Service's elements read
  // back from the node's table (the proxy's own inspect).
  struct Services {
    size_t services = 0;  // with a clusterIP
    // How many were read back from the kernel (the first ones in namespace/name order): each
    // read-back costs a few nft and conntrack dumps, so a large cluster is sampled, and
    // `inspect service NAME` reads any other.
    size_t read_back = 0;
    size_t ports = 0;
    size_t endpoints = 0;
    size_t elements = 0;            // planned elements found in the kernel
    std::vector<EntryRow> missing;  // planned elements the kernel lacks ("ns/name: map: ...")
    std::string error;
  } services;

  // podnetd's /status answer (render_status's shape), or why there is none.
  std::optional<nlohmann::json> podnetd;
  std::string podnetd_error;  // e.g. "podnetd not answering on 127.0.0.1:9402: ..."
};

std::string inspect_node_text(const NodeInspection& n);
nlohmann::json inspect_node_json(const NodeInspection& n);

// True when every planned entry, rule and element is in place and nothing stale is left.
bool node_matches(const NodeInspection& n);
// The command's exit status: 0 when podnetd answered and node_matches, else 1.
int inspect_node_exit_code(const NodeInspection& n);

// "3s ago", "2m10s ago", "never" for 0.
std::string age_text(double then, double now);

}  // namespace podnet::ctl
