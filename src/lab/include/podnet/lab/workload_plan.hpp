#pragma once
// What the lab's controller and kubelets should do, decided from store objects and local state.
// Pure, no I/O: the loops in controller.cpp and kubelet.cpp only apply these plans.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::lab {

// ---- controller: keep every deployment at its replica count

struct ControllerPlan {
  std::vector<cluster::Pod> create;  // new pods, scheduled (spec.nodeName set)
  std::vector<cluster::Pod> remove;  // pods to delete (scale-down newest first, orphans)
};

// Pods belong to the deployment named by their ownerReference in their namespace. A new pod is
// <deployment>-<suffix()> (a suffix already taken in the namespace is drawn again), label
// app=<deployment> plus the deployment's labels, created `now`, and goes to the ready node with
// the fewest pods of that deployment, then the fewest pods, then the first name: replicas
// spread over the nodes. Without ready nodes nothing is created. Scale-down deletes the newest
// pods first (same age: the pod whose node holds most of the deployment's pods, then the last
// name); pods whose deployment is gone are deleted.
ControllerPlan plan_controller(const std::vector<cluster::Deployment>& deployments,
                               const std::vector<cluster::Pod>& pods,
                               const std::vector<std::string>& ready_nodes, int64_t now,
                               const std::function<std::string()>& suffix);

// The deployment-controller's ScalingReplicaSet message, when there is one: the replica count
// changed from `before` (the last count the controller saw; nullopt: first sight) to `now`.
// At first sight only a deployment without pods yet is "scaled up" (just created); one the
// controller finds running (a controller restart) says nothing.
std::optional<std::string> scaling_message(std::string_view deployment,
                                           std::optional<int64_t> before, int64_t now,
                                           size_t pods_now);

// 5 characters of [a-z0-9] from a source of random numbers (the pod name suffix).
std::string pod_suffix(const std::function<uint32_t()>& random);

// ---- kubelet: start the pods assigned to this node, stop the others

// A pod as the kubelet sees it: the store object and the store's create revision of its key,
// which tells a pod from a later one of the same name.
struct PodRef {
  std::string ns, name;
  int64_t uid = 0;  // create_revision of /podnet/pods/<ns>/<name>
  friend bool operator==(const PodRef&, const PodRef&) = default;
};

struct KubeletPlan {
  std::vector<PodRef> stop;   // running here, no longer assigned here (deleted, moved, replaced)
  std::vector<PodRef> start;  // assigned here, not running here
};

// `assigned`: the store's pods whose spec.nodeName is this node. `running`: sandboxes this
// node holds. Stops come first so a replaced pod frees its netns name before its successor.
KubeletPlan plan_kubelet(const std::vector<PodRef>& assigned, const std::vector<PodRef>& running);

// What the kubelet knows about a pod it runs.
struct LocalStatus {
  std::string containerID;
  std::optional<net::IpAddress> podIP;
  bool sandbox_ready = false;    // netns + CNI ADD done
  bool container_alive = false;  // the HTTP server process is running
  int64_t restartCount = 0;
  std::string error;  // last failure while starting (empty: none)
};

// The stored pod with the status the kubelet observes; nullopt when the store already says so
// (no write needed).
std::optional<cluster::Pod> status_update(const cluster::Pod& stored, const LocalStatus& local);

}  // namespace podnet::lab
