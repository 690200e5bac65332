#pragma once
// A one-node "cluster" for the kubelet: a node netns, CNI_PATH with podnet and podnet-ipam, a
// hand-written bridge-mode conflist, a sqlite store, and a kubelet run in a child process
// inside the node netns (as `lab up` runs it). Everything is removed in the destructor, also
// after a failed assertion.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/store/store.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

class WorkloadEnv {
 public:
  explicit WorkloadEnv(std::string_view tag);
  ~WorkloadEnv();

  const lab::KubeletConfig& config() const { return cfg_; }
  store::Store& store() { return *store_; }
  ScopedNetns& node() { return *node_; }
  std::string dir() const { return dir_; }
  std::string pod_netns(const std::string& pod) const;  // <lab>-pod-<pod>

  void start_kubelet();
  void stop_kubelet();  // SIGTERM: pods keep running

  // Puts a pod assigned to the node.
  void put_pod(const std::string& name, uint16_t port);
  std::optional<cluster::Pod> get_pod(const std::string& name);
  // Waits until pred(pod) (up to timeout_ms); the last pod seen.
  std::optional<cluster::Pod> wait_pod(const std::string& name,
                                       const std::function<bool(const cluster::Pod&)>& pred,
                                       int timeout_ms = 15000);
  // IPAM files naming an allocated IP.
  std::vector<std::string> allocated_ips() const;
  // The pod's record kept by the kubelet (null when none).
  nlohmann::json record(const std::string& pod) const;
  // How many kubelet log lines (over every start) contain `needle`; waits (up to timeout_ms)
  // until at least `count` do. Tests wait on what the kubelet reports, never on time passing.
  size_t log_count(const std::string& needle) const;
  bool wait_log(const std::string& needle, size_t count, int timeout_ms = 15000) const;

 private:
  std::string prefix_, lab_, dir_;
  std::unique_ptr<ScopedNetns> node_;
  lab::KubeletConfig cfg_;
  std::unique_ptr<store::Store> store_;
  pid_t kubelet_ = -1;
};

// GET http://ip:port/ from inside netns_path; the body ("" on failure).
std::string http_get(const std::string& netns_path, const std::string& ip, int port);

// Runs f in a child process inside netns_path (fork + setns); returns its exit code.
int run_in_child(const std::string& netns_path, const std::function<int()>& f);

}  // namespace podnet::testing
