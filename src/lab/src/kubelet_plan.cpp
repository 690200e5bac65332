#include <algorithm>

#include "podnet/lab/workload_plan.hpp"

namespace podnet::lab {

KubeletPlan plan_kubelet(const std::vector<PodRef>& assigned, const std::vector<PodRef>& running) {
  KubeletPlan plan;
  auto has = [](const std::vector<PodRef>& v, const PodRef& r) {
    return std::find(v.begin(), v.end(), r) != v.end();
  };
  for (const auto& r : running)
    if (!has(assigned, r)) plan.stop.push_back(r);
  for (const auto& a : assigned)
    if (!has(running, a)) plan.start.push_back(a);
  return plan;
}

std::optional<cluster::Pod> status_update(const cluster::Pod& stored, const LocalStatus& local) {
  cluster::Pod p = stored;
  p.containerID = local.containerID;
  p.podIP = local.podIP;
  p.restartCount = local.restartCount;
  p.ready = local.sandbox_ready && local.container_alive;
  if (p.ready) {
    p.phase = cluster::PodPhase::Running;
    p.reason.clear();
  } else if (!local.error.empty()) {
    // A pod that ran once and lost its container is Running-but-not-ready in Kubernetes too,
    // until the restart; one that never started stays Pending with the reason.
    p.phase = cluster::PodPhase::Pending;
    p.reason = "Error";
  } else {
    p.phase = local.sandbox_ready ? cluster::PodPhase::Running : cluster::PodPhase::Pending;
    p.reason = local.sandbox_ready ? "" : "ContainerCreating";
  }
  if (p == stored) return std::nullopt;
  return p;
}

}  // namespace podnet::lab
