#pragma once
// `podnetctl inspect service`: what one node's kernel holds for a Service (read back by the
// proxy), as text for people and JSON for machines. Pure: formatting only.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace podnet::ctl {

// One node's read-back. Element lines are the proxy's "map: key : value" texts.
struct NodeKernelView {
  std::string node, ip;
  std::string error;                   // non-empty: the node could not be read
  std::vector<std::string> elements;   // planned and present
  std::vector<std::string> missing;    // planned, absent from the kernel
  std::vector<std::string> chains;     // `nft list chain` texts
  std::vector<std::string> conntrack;  // entries whose original destination is the service
};

// Dispatch maps (ClusterIP . proto . port, nodePort, no-endpoint rejects) vs endpoint maps.
bool is_dispatch_element(std::string_view element_line);

// Per node: "node lxb001 (10.1.1.15)", Dispatch, Endpoints, Chains, MISSING lines, Conntrack.
// `external_ips`: the Service's spec.externalIPs, in the header line / JSON when any.
std::string inspect_service_text(std::string_view ns, std::string_view name,
                                 std::string_view cluster_ip,
                                 const std::vector<NodeKernelView>& nodes,
                                 const std::vector<std::string>& external_ips = {});
nlohmann::json inspect_service_json(std::string_view ns, std::string_view name,
                                    std::string_view cluster_ip,
                                    const std::vector<NodeKernelView>& nodes,
                                    const std::vector<std::string>& external_ips = {});

// 1 when an element is missing or a node could not be read, else 0 (the command's status).
int inspect_exit_code(const std::vector<NodeKernelView>& nodes);

}  // namespace podnet::ctl
