#pragma once
// podnetd's /metrics in the Prometheus text exposition format (version 0.0.4). Pure, no I/O:
// the agent fills a snapshot, this renders it.
#include <cstdint>
#include <string>

#include "podnet/agent/histogram.hpp"

namespace podnet::agent {

// The service proxy's figures (kube-proxy's sync_proxy_rules_* and
// network_programming_duration_seconds under podnet's names).
struct ProxyMetrics {
  bool enabled = false;
  Histogram sync_full;     // podnet_proxy_sync_duration_seconds{kind="full"}
  Histogram sync_partial;  // podnet_proxy_sync_duration_seconds{kind="partial"}
  Histogram
      programming;  // podnet_proxy_programming_latency_seconds: store change seen -> rules in place
  uint64_t services = 0;   // service ports programmed
  uint64_t endpoints = 0;  // endpoints programmed
  uint64_t sync_errors = 0;
  uint64_t conntrack_deleted = 0;
  uint64_t repairs = 0;          // full resyncs because the table was changed outside podnetd
  uint64_t invalid_objects = 0;  // services/pods in the store that do not parse (never programmed)
  double last_sync_timestamp = 0;  // unix seconds of the last successful sync
};

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
  double reconcile_timestamp = 0;   // unix seconds the last reconcile ended (0: none yet)
  std::string reconcile_error;      // why the last reconcile failed; empty: it succeeded
  uint64_t reconciles = 0;
  uint64_t reconcile_errors = 0;
  uint64_t route_changes = 0;  // routes/neighbours/FDB entries added, replaced or removed
  bool store_up = false;       // the last store call succeeded
  uint64_t store_errors = 0;
  uint64_t watch_restarts = 0;  // relists after compaction or watch errors
  uint64_t underlay_mtu = 0;
  uint64_t underlay_changes = 0;  // MTU / address / ifindex changes seen while running
  bool ready = false;
  ProxyMetrics proxy;
};

// Label values escaped as the format requires (\\, \", \n).
std::string escape_label(std::string_view v);
std::string render_metrics(const MetricsSnapshot& m);

}  // namespace podnet::agent
