#include "podnet/agent/metrics.hpp"

#include <fmt/format.h>

namespace podnet::agent {

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {
void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n", name, help, type);
}
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::string_view value, std::string_view labels = {}) {
  header(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, labels, value);
}
std::string num(uint64_t v) {
  return std::to_string(v);
}
std::string num(double v) {
  return fmt::format("{:.6f}", v);
}

void render_proxy(std::string& out, const ProxyMetrics& p, const std::string& node,
                  const std::string& lbl) {
  header(out, "podnet_proxy_sync_duration_seconds", "histogram",
         "Service rule syncs: full (first, after a failure) or partial (the difference).");
  p.sync_full.render(out, "podnet_proxy_sync_duration_seconds", node + ",kind=\"full\"");
  p.sync_partial.render(out, "podnet_proxy_sync_duration_seconds", node + ",kind=\"partial\"");
  header(out, "podnet_proxy_programming_latency_seconds", "histogram",
         "From a service or pod change reaching podnetd to its rules being in place.");
  p.programming.render(out, "podnet_proxy_programming_latency_seconds", node);
  metric(out, "podnet_proxy_services", "gauge", "Service ports programmed.", num(p.services), lbl);
  metric(out, "podnet_proxy_endpoints", "gauge", "Service endpoints programmed.", num(p.endpoints),
         lbl);
  metric(out, "podnet_proxy_sync_errors_total", "counter", "Service rule syncs that failed.",
         num(p.sync_errors), lbl);
  metric(out, "podnet_proxy_conntrack_deleted_total", "counter",
         "conntrack entries deleted for vanished or new UDP endpoints.", num(p.conntrack_deleted),
         lbl);
  metric(out, "podnet_proxy_repairs_total", "counter",
         "Full resyncs because the service table was changed outside podnetd.", num(p.repairs),
         lbl);
  metric(out, "podnet_proxy_invalid_objects", "gauge",
         "Services and pods in the store that do not parse (left out of the rules).",
         num(p.invalid_objects), lbl);
  metric(out, "podnet_proxy_last_sync_timestamp_seconds", "gauge",
         "When the service rules were last synced (unix seconds).", num(p.last_sync_timestamp),
         lbl);
}
}  // namespace

std::string render_metrics(const MetricsSnapshot& m) {
  std::string out;
  out.reserve(4096);
  const std::string node = fmt::format("node=\"{}\"", escape_label(m.node));
  const std::string lbl = "{" + node + "}";
  metric(out, "podnet_lease_held", "gauge", "1 when this node holds its subnet lease.",
         m.lease_held ? "1" : "0", lbl);
  if (!m.subnet.empty())
    metric(out, "podnet_lease_info", "gauge", "The pod subnet leased by this node.", "1",
           fmt::format("{{{},subnet=\"{}\"}}", node, escape_label(m.subnet)));
  metric(out, "podnet_lease_renewals_total", "counter", "Successful lease keep-alives.",
         num(m.lease_renewals), lbl);
  metric(out, "podnet_lease_renew_errors_total", "counter", "Lease keep-alives that failed.",
         num(m.lease_renew_errors), lbl);
  metric(out, "podnet_lease_lost_total", "counter", "Times the lease was lost and re-acquired.",
         num(m.lease_lost), lbl);
  metric(out, "podnet_peers", "gauge", "Peer nodes routed to.", num(m.peers), lbl);
  metric(out, "podnet_peers_refused", "gauge", "Peer nodes refused (host-gw: not on-link).",
         num(m.peers_refused), lbl);
  metric(out, "podnet_peers_direct", "gauge",
         "Peer nodes routed without encapsulation (host-gw, vxlan direct routing).",
         num(m.peers_direct), lbl);
  metric(out, "podnet_node_entries_skipped", "gauge",
         "Node entries in the store skipped as malformed or conflicting.", num(m.nodes_skipped),
         lbl);
  metric(out, "podnet_programmed_routes", "gauge", "Routes podnetd programmed.", num(m.routes),
         lbl);
  metric(out, "podnet_programmed_fdb_entries", "gauge", "VXLAN FDB entries podnetd programmed.",
         num(m.fdb), lbl);
  metric(out, "podnet_programmed_neighbours", "gauge",
         "VXLAN neighbour entries podnetd programmed.", num(m.neighbours), lbl);
  metric(out, "podnet_reconcile_duration_seconds", "gauge", "Duration of the last reconcile.",
         num(m.reconcile_seconds), lbl);
  metric(out, "podnet_reconciles_total", "counter", "Route reconciles run.", num(m.reconciles),
         lbl);
  metric(out, "podnet_reconcile_errors_total", "counter", "Route reconciles that failed.",
         num(m.reconcile_errors), lbl);
  metric(out, "podnet_route_changes_total", "counter",
         "Routes, neighbours and FDB entries added, replaced or removed.", num(m.route_changes),
         lbl);
  metric(out, "podnet_store_up", "gauge", "1 when the last store call succeeded.",
         m.store_up ? "1" : "0", lbl);
  metric(out, "podnet_store_errors_total", "counter", "Store calls that failed.",
         num(m.store_errors), lbl);
  metric(out, "podnet_watch_restarts_total", "counter",
         "Node watches restarted (compaction or errors).", num(m.watch_restarts), lbl);
  metric(out, "podnet_underlay_mtu", "gauge", "MTU of the underlay interface.", num(m.underlay_mtu),
         lbl);
  metric(out, "podnet_underlay_changes_total", "counter",
         "Underlay MTU, address or interface changes followed while running.",
         num(m.underlay_changes), lbl);
  metric(out, "podnet_ready", "gauge", "1 when /readyz answers 200.", m.ready ? "1" : "0", lbl);
  if (m.proxy.enabled) render_proxy(out, m.proxy, node, lbl);
  return out;
}

}  // namespace podnet::agent
