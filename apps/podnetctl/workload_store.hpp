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

// The objects of namespace `ns`; of every namespace when `ns` is empty.
// `revision`: set to the listing's store revision (to watch after it).
Result<std::vector<cluster::Pod>> list_pods(store::Store& s, std::string_view ns,
                                            store::Revision* revision = nullptr);
Result<std::vector<cluster::Deployment>> list_deployments(store::Store& s, std::string_view ns);
// The pod, or an error naming it: `pods "web-x" not found`.
Result<cluster::Pod> get_pod(store::Store& s, std::string_view ns, std::string_view name);

// Polls until the deployment has exactly its replica count of pods, all ready; on timeout an
// error saying how far it got.
Result<> wait_deployment_ready(store::Store& s, std::string_view ns, std::string_view name,
                               std::chrono::seconds timeout);

}  // namespace podnet::ctl
