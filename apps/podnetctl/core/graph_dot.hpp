#pragma once
// `podnetctl graph`: the cluster as it is now, as Graphviz DOT text. Pure, no I/O: the command
// reads the objects, this turns them into a graph, graph_render lays it out.
//
// Each node is a cluster (box) in its own colour holding the node itself (name, underlay address,
// pod subnet, VTEP MAC) and its pods (name, IP). Links between the nodes show how pod traffic
// crosses: "vxlan" (dashed: encapsulated) or "host-gw" (solid: a direct route). Services are
// ellipses outside the nodes with an arrow to every endpoint (labelled with the target port);
// in bridge mode a node's pods hang off its bridge (name, gateway address) instead of the node;
// the lab's outside host has a line to every node and an arrow to each NodePort Service.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::ctl {

// The lab's outside host (the nodes' gateway on the underlay).
struct OutsideHost {
  std::string name;      // "ext"
  std::string underlay;  // 10.1.1.1
  std::string loopback;  // 203.0.113.1 (its "internet" address); may be empty
};

struct ClusterPicture {
  std::string title;                             // "lab podnet" or the store URL
  std::optional<cluster::ClusterConfig> config;  // backend of the links; none: links unlabelled
  std::vector<cluster::Node> nodes;
  std::vector<cluster::Pod> pods;  // every namespace
  std::vector<cluster::Service> services;
  std::optional<OutsideHost> outside;
  // Bridge mode (podnetd --mode bridge): the node bridge the pods are ports of; empty: routed.
  std::string pod_bridge;
};

// A DOT double-quoted string's contents: `"` and `\` escaped, newlines as \n (a line break in
// a label). Everything else is kept.
std::string dot_escape(std::string_view text);

// The whole graph. Deterministic: the same objects in any order give the same text (nodes,
// pods and services are sorted; colours follow the node order).
std::string cluster_dot(const ClusterPicture& picture);

}  // namespace podnet::ctl
