#pragma once
// podnetd's /metrics in the Prometheus text exposition format (version 0.0.4). Pure, no I/O:
// the agent fills a snapshot, this renders it.
#include <cstdint>
#include <string>

namespace podnet::agent {

struct MetricsSnapshot {
  std::string node;
  std::string subnet;  // the leased pod subnet; empty when none
  bool lease_held = false;
  uint64_t lease_renewals = 0;      // successful keep-alives
  uint64_t lease_renew_errors = 0;  // keep-alives that failed (store unreachable)
  uint64_t lease_lost = 0;          // times the lease was found gone and re-acquired
  uint64_t peers = 0;               // peers programmed
  uint64_t peers_refused = 0;       // peers refused (host-gw not on-link)
  uint64_t peers_direct = 0;        // peers routed unencapsulated (host-gw, vxlan direct routing)
  uint64_t nodes_skipped = 0;       // malformed or conflicting node entries
  uint64_t routes = 0;              // routes programmed
  uint64_t fdb = 0;                 // VXLAN FDB entries programmed
  uint64_t neighbours = 0;          // VXLAN neighbour entries programmed
  double reconcile_seconds = 0;     // duration of the last reconcile
  uint64_t reconciles = 0;
  uint64_t reconcile_errors = 0;
  uint64_t route_changes = 0;  // routes/neighbours/FDB entries added, replaced or removed
  bool store_up = false;       // the last store call succeeded
  uint64_t store_errors = 0;
  uint64_t watch_restarts = 0;  // relists after compaction or watch errors
  uint64_t underlay_mtu = 0;
  uint64_t underlay_changes = 0;  // MTU / address / ifindex changes seen while running
  bool ready = false;
};

// Label values escaped as the format requires (\\, \", \n).
std::string escape_label(std::string_view v);
std::string render_metrics(const MetricsSnapshot& m);

}  // namespace podnet::agent
