#pragma once
// podnetd's CNI conflist (<cni-conf-dir>/10-podnet.conflist): the node's subnet, the pod mode,
// the MTUs from the underlay, for pods created from now on. Written atomically, and only when
// its text changed.
#include <string>

#include "podnet/agent/options.hpp"
#include "podnet/agent/underlay.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/common/error.hpp"

namespace podnet::agent {

class ConflistFile {
 public:
  ConflistFile(const Options& o, cluster::ClusterConfig cfg);

  Result<> write(const net::Prefix& subnet, const Underlay& ul);
  // The subnet or the MTU changed: write() again.
  void stale() { written_ = false; }
  bool written() const { return written_; }

 private:
  cluster::ClusterConfig cfg_;
  cluster::PodMode mode_;
  std::string path_, ipam_data_dir_;
  uint32_t pod_gso_max_size_;
  bool written_ = false;
};

}  // namespace podnet::agent
