#pragma once
// The lab's kubelet and controller loops with every path explicit (tests run them against a
// node netns and files of their own); workload.hpp's run_kubelet/run_controller fill these in
// from lab.json.
#include <atomic>
#include <chrono>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/lab/state.hpp"

namespace podnet::lab {

struct KubeletConfig {
  std::string lab;   // pod netns names: <lab>-pod-<pod>
  std::string node;  // serves pods whose spec.nodeName is this
  std::string store_url;
  std::string conflist;                    // the node's CNI conflist (written by podnetd)
  std::string cni_path;                    // CNI_PATH: podnet, podnet-ipam
  std::string pods_dir;                    // per-pod records and container logs
  std::chrono::milliseconds resync{1000};  // re-list and check containers at least this often
};

// Runs in the node's network namespace (the CNI plugins run where it runs) and in the host's
// mount namespace (pod netns bind mounts must be visible to `ip netns`). Starts the pods
// assigned to the node, restarts their containers when they die, stops pods that went away,
// reports status; adopts the pods a previous run left. Returns when `stop` is set (pods keep
// running) or on an error it cannot go on from (store unreachable at start).
Result<> kubelet_loop(const KubeletConfig& cfg, const std::atomic<bool>& stop);

// The lab's paths for a node: conflist nodes/<node>/net.d/10-podnet.conflist, CNI_PATH
// cni-bin, records nodes/<node>/pods.
KubeletConfig kubelet_config(const LabState& lab, std::string_view node);

// The container's log (its stdout/stderr: the built-in server's access lines):
// <pods_dir>/<namespace>_<pod>.log.
std::string container_log_path(const KubeletConfig& cfg, std::string_view ns, std::string_view pod);

// Removes every pod recorded in pods_dir: container, CNI DEL, pause, netns, record. For
// cleanup when a node goes away for good (tests, lab down).
void remove_all_pods(const KubeletConfig& cfg);

struct ControllerConfig {
  std::string store_url;
  std::chrono::milliseconds resync{1000};
};

// Keeps every deployment at its replica count over the nodes in the store; deletes the pods of
// deleted deployments. Returns when `stop` is set.
Result<> controller_loop(const ControllerConfig& cfg, const std::atomic<bool>& stop);

}  // namespace podnet::lab
