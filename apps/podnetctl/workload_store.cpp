#include "workload_store.hpp"

#include <thread>

#include <fmt/format.h>

#include "podnet/common/json_bounded.hpp"
#include "podnet/lab/listed.hpp"

namespace podnet::ctl {
namespace {

// A listing with a bad entry is an error naming it: a table that silently leaves an object
// out would mislead.
template <typename T, typename FromJson>
Result<std::vector<T>> list_of(store::Store& s, std::string_view prefix, FromJson from_json,
                               store::Revision* revision = nullptr) {
  auto list = PODNET_TRY(s.list(prefix));
  if (revision) *revision = list.revision;
  auto parsed = lab::parse_listing<T>(list.items, from_json);
  if (!parsed.bad.empty()) return fail(parsed.bad.front());
  return std::move(parsed.items);
}

std::string prefix_of(std::string_view kind_prefix, std::string_view ns) {
  return ns.empty() ? std::string(kind_prefix) : fmt::format("{}{}/", kind_prefix, ns);
}

}  // namespace

Result<std::vector<cluster::Pod>> list_pods(store::Store& s, std::string_view ns,
                                            store::Revision* revision) {
  return list_of<cluster::Pod>(
      s, prefix_of(cluster::pods_prefix, ns),
      [](const auto& j) { return cluster::pod_from_json(j); }, revision);
}

Result<std::vector<cluster::Deployment>> list_deployments(store::Store& s, std::string_view ns) {
  return list_of<cluster::Deployment>(
      s, prefix_of(cluster::deployments_prefix, ns),
      [](const auto& j) { return cluster::deployment_from_json(j); });
}

Result<cluster::Pod> get_pod(store::Store& s, std::string_view ns, std::string_view name) {
  auto kv = PODNET_TRY(s.get(cluster::pod_key(ns, name)));
  if (!kv) return fail(fmt::format("pods \"{}\" not found", name));
  auto j = PODNET_TRY(parse_json_bounded(kv->value, json_default_max_depth,
                                         json_default_max_bytes, kv->key));
  auto p = cluster::pod_from_json(j);
  if (!p) return fail(fmt::format("pod \"{}\": {}", name, p.error().message));
  return *p;
}

Result<> wait_deployment_ready(store::Store& s, std::string_view ns, std::string_view name,
                               std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t want = 0, have = 0, ready = 0;
  while (true) {
    auto kv = PODNET_TRY(s.get(cluster::deployment_key(ns, name)));
    if (!kv) return fail(fmt::format("deployment \"{}\" was deleted while waiting", name));
    auto j = PODNET_TRY(parse_json_bounded(kv->value, json_default_max_depth,
                                           json_default_max_bytes, kv->key));
    auto d = cluster::deployment_from_json(j);
    if (!d) return fail(fmt::format("deployment \"{}\": {}", name, d.error().message));
    want = d->replicas;
    have = ready = 0;
    for (const auto& p : PODNET_TRY(list_pods(s, ns)))
      if (p.owner == name) {
        ++have;
        ready += p.ready && p.phase == cluster::PodPhase::Running;
      }
    if (have == want && ready == want) return {};
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return fail(
      fmt::format("deployment \"{}\": {}/{} pods ready after {}s (see `podnetctl get pods` "
                  "and the kubelet logs)",
                  name, ready, want, timeout.count()));
}

}  // namespace podnet::ctl
