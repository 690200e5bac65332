#pragma once
// `podnetctl lab up|status|down`: making, checking and removing a lab.
#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state.hpp"

namespace podnet::lab {

struct UpOptions {
  LabSpec spec;
  std::chrono::milliseconds ready_timeout{30000};  // every node ready within this
  std::string podnetctl;  // the binary to find the others from; empty: this process
};

// Makes everything in order, printing "creating switch... ok" per step on `out`: directories,
// switch, ext host, etcd (store etcd), nodes, /podnet/config, podnetd per node, kubelets and
// controller; then waits until every node is ready (its /podnet/nodes/<name> key and its
// conflist exist). Error `lab "x" is already up` when any of it exists; any failure tears down
// what was made before returning the error.
Result<LabState> lab_up(const UpOptions& opts, std::ostream& out);

// Kills every process of the lab (lab.json's, and any process in one of the lab's namespaces),
// removes the namespaces (<lab>-pod-* included) and /run/podnet-lab/<lab>. Works without
// lab.json (leftovers of a crash). Error `no lab "x" is up` when there is nothing at all.
Result<> lab_down(std::string_view lab, std::ostream& out);

struct ProcessStatus {
  std::string role;
  std::string node;
  int pid = 0;
  bool alive = false;
};
struct NodeStatus {
  std::string name;
  std::string ip;
  bool netns = false;
  int podnetd_pid = 0;
  bool podnetd_alive = false;
  bool in_store = false;
  std::string subnet;  // podCIDR from the store ("" when unknown)
  bool ok() const { return netns && podnetd_alive && in_store && !subnet.empty(); }
};
struct StatusReport {
  LabState state;
  std::vector<NodeStatus> nodes;
  std::vector<ProcessStatus> processes;  // every process of lab.json
  std::vector<std::string> missing_netns;
  std::string store_error;  // empty when the store answered
  bool ok() const;
};

Result<StatusReport> lab_status(std::string_view lab);
// The report as text (pure).
std::string format_status(const StatusReport& r);

}  // namespace podnet::lab
