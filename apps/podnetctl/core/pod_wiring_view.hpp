#pragma once
// `inspect node`'s pods section: how podnetd had the CNI plugin wire pods on this node (the mode
// in the conflist it wrote) and, in bridge mode, the node bridge as the kernel has it: up, the
// pods' gateway address on it, one forwarding port per pod, netfilter on switched frames. Pure.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podnet::ctl {

struct PodWiring {
  std::string conflist;  // the file podnetd wrote; empty: not looked at (no section, no problem)
  std::string mode;      // "ptp" | "bridge"; empty when the conflist could not be read
  std::string error;     // why not
  size_t pods = 0;       // pods of this node in the store with an address

  // bridge mode: the bridge the conflist names.
  std::string bridge;
  bool exists = false;
  bool up = false;
  std::string mac;
  std::vector<std::string> addresses;
  std::string gateway;  // what it should hold: the pod subnet's first address, with its length
  size_t ports = 0;     // its ports (the pods' host veths)
  size_t forwarding = 0;
  std::optional<bool> netfilter;  // br_netfilter on its frames; none: the kernel has none
};

// What is wrong with the wiring, one line each (empty: as planned). A bridge is only missing
// once the node has pods: the plugin makes it at the first pod's ADD.
std::vector<std::string> pod_wiring_problems(const PodWiring& w);
// "  pods       bridge mode: ..." lines for the text report.
std::string pod_wiring_text(const PodWiring& w);
nlohmann::json pod_wiring_json(const PodWiring& w);

}  // namespace podnet::ctl
