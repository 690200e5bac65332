#include "podnet/agent/status.hpp"

namespace podnet::agent {

nlohmann::json render_status(const MetricsSnapshot& m, const Readiness& r, double now) {
  using nlohmann::json;
  json proxy = {{"enabled", m.proxy.enabled}};
  if (m.proxy.enabled) {
    proxy["servicePorts"] = m.proxy.services;
    proxy["endpoints"] = m.proxy.endpoints;
    proxy["syncs"] = m.proxy.sync_full.count + m.proxy.sync_partial.count;
    proxy["syncErrors"] = m.proxy.sync_errors;
    proxy["repairs"] = m.proxy.repairs;
    proxy["invalidObjects"] = m.proxy.invalid_objects;
    proxy["lastSyncTimestamp"] = m.proxy.last_sync_timestamp;
  }
  return json{
      {"node", m.node},
      {"now", now},
      {"healthy", true},  // the process answers: /healthz's only condition
      {"ready", r.ready},
      {"reason", r.reason},
      {"lease", {{"held", m.lease_held}, {"subnet", m.subnet}, {"lost", m.lease_lost}}},
      {"store", {{"up", m.store_up}, {"errors", m.store_errors}}},
      {"underlay", {{"mtu", m.underlay_mtu}, {"changes", m.underlay_changes}}},
      {"reconcile",
       {{"lastDurationSeconds", m.reconcile_seconds},
        {"lastTimestamp", m.reconcile_timestamp},
        {"lastError", m.reconcile_error},
        {"total", m.reconciles},
        {"errors", m.reconcile_errors},
        {"changes", m.route_changes},
        {"peers", m.peers},
        {"peersDirect", m.peers_direct},
        {"peersRefused", m.peers_refused},
        {"nodesSkipped", m.nodes_skipped},
        {"routes", m.routes},
        {"fdb", m.fdb},
        {"neighbours", m.neighbours}}},
      {"proxy", std::move(proxy)},
  };
}

}  // namespace podnet::agent
