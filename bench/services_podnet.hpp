#pragma once
// podnet's side of bench_services: podnet::proxy::Proxier driven with the bench's services.
// Built from services_podnet.cpp when the podnet_proxy library exists, else from
// services_podnet_stub.cpp (available() false), so the baselines build on their own.
#include <memory>
#include <string>
#include <vector>

#include "service_set.hpp"

namespace podnet::bench {

class PodnetProxy {
 public:
  static bool available();
  // Opens the proxier inside the namespace at netns_path (every call runs there).
  explicit PodnetProxy(const std::string& netns_path);
  ~PodnetProxy();
  PodnetProxy(const PodnetProxy&) = delete;
  PodnetProxy& operator=(const PodnetProxy&) = delete;

  // Full sync of the whole set (the proxier's first sync): wall ms and this thread's system
  // time (the kernel's share: netlink batches run in the sender's context). Throws on failure.
  struct Timing {
    double wall_ms = 0, sys_ms = 0, cpu_ms = 0;  // cpu: user + system of this thread
  };
  Timing full(const std::vector<BenchService>& svcs);
  // Replaces services[i]'s endpoints with `eps` and syncs (a diff); returns wall ms.
  double update(size_t i, const std::vector<SvcEndpoint>& eps);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Memory of a podnet proxier holding n services, measured in a fresh process (this one holds
// the baselines' texts): peak and current RSS of that process, and the heap the proxier keeps
// (malloc'd bytes after its sync minus before it opened; the snapshot itself excluded).
struct PodnetMemory {
  double hwm_mb = 0, rss_mb = 0, proxier_heap_mb = 0, snapshot_heap_mb = 0;
  std::string error;
};
PodnetMemory podnet_memory(const std::string& self_exe, const std::string& netns_path, int n);

// The child side of podnet_memory (bench_services --memory-child N NETNS OUT).
int podnet_memory_child(int n, const std::string& netns_path, const std::string& out_file);

}  // namespace podnet::bench
