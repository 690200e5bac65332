// The lab's controller: applies plan_controller() to the store.
#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/log.hpp"
#include "podnet/events/recorder.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/lab/listed.hpp"
#include "podnet/lab/workload_plan.hpp"
#include "podnet/store/store.hpp"

namespace podnet::lab {
namespace {

// The objects under a prefix; an entry that does not parse is left out (one bad object must
// not stop the controller), with a debug line.
template <typename T, typename FromJson>
Result<std::vector<T>> list_objects(store::Store& s, std::string_view prefix, FromJson from_json,
                                    store::Revision* revision = nullptr) {
  auto list = PODNET_TRY(s.list(prefix));
  if (revision) *revision = list.revision;
  auto parsed = parse_listing<T>(list.items, from_json);
  for (const auto& b : parsed.bad) log::debug("skip {}", b);
  return std::move(parsed.items);
}

// The controller's memory between passes: the replica counts it last saw (scaling events).
using SeenReplicas = std::map<std::pair<std::string, std::string>, int64_t>;

// ScalingReplicaSet events for deployments whose replica count changed since the last pass.
void record_scaling(events::Recorder& ev, SeenReplicas& seen,
                    const std::vector<cluster::Deployment>& deployments,
                    const std::vector<cluster::Pod>& pods) {
  SeenReplicas now;
  for (const auto& d : deployments) {
    const auto id = std::pair{d.ns, d.name};
    std::optional<int64_t> before;
    if (auto it = seen.find(id); it != seen.end()) before = it->second;
    const size_t have = size_t(std::count_if(pods.begin(), pods.end(), [&](const auto& p) {
      return p.ns == d.ns && p.owner == d.name;
    }));
    if (auto msg = scaling_message(d.name, before, d.replicas, have))
      ev.normal(cluster::deployment_ref(d.ns, d.name), "ScalingReplicaSet", *msg);
    now[id] = d.replicas;
  }
  seen = std::move(now);
}

Result<> reconcile(store::Store& s, std::mt19937& rng, events::Recorder& ev,
                   events::Recorder& scheduler, SeenReplicas& replicas_seen) {
  store::Revision seen = 0;  // the first listing's: everything this pass read is at least that new
  auto deployments = PODNET_TRY(list_objects<cluster::Deployment>(
      s, cluster::deployments_prefix,
      [](const auto& j) { return cluster::deployment_from_json(j); }, &seen));
  auto pods = PODNET_TRY(list_objects<cluster::Pod>(
      s, cluster::pods_prefix, [](const auto& j) { return cluster::pod_from_json(j); }));
  auto nodes = PODNET_TRY(list_objects<cluster::Node>(
      s, cluster::nodes_prefix, [](const auto& j) { return cluster::node_from_json(j); }));
  std::vector<std::string> ready;
  // A node key exists only while its podnetd holds its subnet lease: present means usable.
  for (const auto& n : nodes) ready.push_back(n.name);
  auto plan = plan_controller(deployments, pods, ready, std::time(nullptr),
                              [&] { return pod_suffix([&] { return uint32_t(rng()); }); });
  record_scaling(ev, replicas_seen, deployments, pods);
  for (const auto& p : plan.remove) {
    auto r = s.del(cluster::pod_key(p.ns, p.name));
    if (!r) {
      log::warn("delete pod {}/{}: {}", p.ns, p.name, r.error().message);
    } else if (*r) {
      log::info("deleted pod {}/{} ({})", p.ns, p.name, p.owner);
      if (!p.owner.empty())
        ev.normal(cluster::deployment_ref(p.ns, p.owner), "SuccessfulDelete",
                  fmt::format("Deleted pod: {}", p.name));
    }
  }
  for (const auto& p : plan.create) {
    auto r = s.create(cluster::pod_key(p.ns, p.name), cluster::to_json(p).dump());
    if (!r)
      log::warn("create pod {}/{}: {}", p.ns, p.name, r.error().message);
    else if (r->succeeded) {
      log::info("created pod {}/{} on {} for deployment {}", p.ns, p.name, p.node, p.owner);
      ev.normal(cluster::deployment_ref(p.ns, p.owner), "SuccessfulCreate",
                fmt::format("Created pod: {}", p.name));
      // The controller also schedules; kubectl shows the scheduler's event on the pod.
      scheduler.normal(cluster::pod_ref(p.ns, p.name), "Scheduled",
                       fmt::format("Successfully assigned {}/{} to {}", p.ns, p.name, p.node));
    }
  }
  // Lets a reader (tests) know that every change up to `seen` has been acted on.
  log::debug("pass done at revision {}: {} deployment(s), {} pod(s), {} created, {} deleted", seen,
             deployments.size(), pods.size(), plan.create.size(), plan.remove.size());
  return {};
}

}  // namespace

Result<> controller_loop(const ControllerConfig& cfg, const std::atomic<bool>& stop) {
  auto s = PODNET_TRY(store::open_store(cfg.store_url));
  std::mt19937 rng(std::random_device{}());
  events::Recorder ev(*s, {"deployment-controller", ""});
  events::Recorder scheduler(*s, {"default-scheduler", ""});
  SeenReplicas seen;
  std::unique_ptr<store::Watcher> watcher;
  while (!stop) {
    if (auto r = reconcile(*s, rng, ev, scheduler, seen); !r)
      log::warn("reconcile: {}", r.error().message);
    if (!watcher) {
      // One watch over /podnet/: deployments, pods and nodes all wake the controller.
      auto rev = s->list("/podnet/config");
      auto w = rev ? s->watch("/podnet/", rev->revision) : std::unexpected(rev.error());
      if (w)
        watcher = std::move(*w);
      else
        log::warn("watch /podnet/: {}", w.error().message);
    }
    if (!watcher) {
      std::this_thread::sleep_for(cfg.resync);
      continue;
    }
    auto ev = watcher->next(cfg.resync);
    if (!ev || ev->compacted) watcher.reset();
  }
  return {};
}

}  // namespace podnet::lab
