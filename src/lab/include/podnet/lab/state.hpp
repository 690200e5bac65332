#pragma once
// lab.json: what a running lab is made of, written by `lab up` as it goes so `lab down` can
// undo it (also a half-made one). Pure: JSON round trip and validation; reading and writing
// the file is in state_file.hpp.
//
//   {"name": "podnet", "store": "sqlite", "storeURL": "sqlite:///run/podnet-lab/podnet/store.db",
//    "backend": "vxlan", "directRouting": false, "mode": "ptp", "created": 1764145000,
//    "nodes": [{"name": "lxb001", "ip": "10.1.1.15"}, ...],
//    "processes": [{"role": "podnetd", "node": "lxb001", "pid": 1234, "startTime": 5678,
//                   "netns": "podnet-lxb001", "log":
//                   "/run/podnet-lab/podnet/logs/podnetd-lxb001.log"}]}
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/lab/plan.hpp"

namespace podnet::lab {

// A process the lab started. startTime (clock ticks since boot, /proc/PID/stat field 22)
// tells the process from a later one that reused its pid.
struct ProcessRecord {
  std::string role;  // podnetd, kubelet, controller, etcd
  std::string node;  // empty for lab-wide processes
  int pid = 0;
  uint64_t start_time = 0;
  std::string netns;  // name of the netns it runs in
  std::string log;    // its stdout/stderr
  friend bool operator==(const ProcessRecord&, const ProcessRecord&) = default;
};

struct LabState {
  LabSpec spec;
  std::string store_url;
  int64_t created = 0;  // unix seconds
  std::vector<NodePlan> nodes;
  std::vector<ProcessRecord> processes;
  friend bool operator==(const LabState&, const LabState&) = default;

  const NodePlan* find_node(std::string_view name) const;
  const ProcessRecord* find_process(std::string_view role, std::string_view node = {}) const;
};

// A fresh state for a spec (nodes planned, no processes yet).
Result<LabState> make_state(const LabSpec& spec, int64_t now,
                            std::string_view base_dir = default_base_dir);

nlohmann::json to_json(const LabState& s);
// Parses and validates (lab name, node names/addresses, store, backend, pids > 0). Errors name
// the field: "lab.json: nodes[1].ip: \"x\" is not an IPv4 address".
Result<LabState> parse_state(std::string_view text);

}  // namespace podnet::lab
