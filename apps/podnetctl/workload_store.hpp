#pragma once
// Reading the lab's workloads from the store for podnetctl's workload commands.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::ctl {

inline constexpr std::string_view default_namespace = "default";

Result<std::vector<cluster::Pod>> list_pods(store::Store& s);
Result<std::vector<cluster::Deployment>> list_deployments(store::Store& s);
// The pod, or an error naming it: `pods "web-x" not found`.
Result<cluster::Pod> get_pod(store::Store& s, std::string_view name);

// Polls until the deployment has exactly its replica count of pods, all ready; on timeout an
// error saying how far it got.
Result<> wait_deployment_ready(store::Store& s, std::string_view name,
                               std::chrono::seconds timeout);

}  // namespace podnet::ctl
