#pragma once
// `describe pod|node|deployment` in kubectl's layout, each ending with the object's events
// (oldest first). Pure, no I/O: the command reads the objects and passes them in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/event.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::ctl {

// `node`: the pod's node object when it exists (its InternalIP follows the name).
std::string describe_pod(const cluster::Pod& p, const std::optional<cluster::Node>& node,
                         const std::vector<cluster::StoredEvent>& events, int64_t now);

// `pods`: every pod (those on the node are listed); `backend`: the cluster's, when known.
std::string describe_node(const cluster::Node& n, const std::vector<cluster::Pod>& pods,
                          std::optional<cluster::BackendType> backend,
                          const std::vector<cluster::StoredEvent>& events, int64_t now);

// `pods`: the pods of the deployment's namespace (its own are counted).
std::string describe_deployment(const cluster::Deployment& d, const std::vector<cluster::Pod>& pods,
                                const std::vector<cluster::StoredEvent>& events, int64_t now);

}  // namespace podnet::ctl
