#include "core/node_inspect_view.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace podnet::ctl {
namespace {

// Problems in capitals so they stand out among the present rows.
std::string state_word(EntryState s) {
  std::string w(to_string(s));
  if (s != EntryState::present) std::transform(w.begin(), w.end(), w.begin(), ::toupper);
  return w;
}

void row_lines(std::string& out, const EntryRow& r, std::string_view pad) {
  const std::string& shown = r.state == EntryState::stale ? r.actual : r.expected;
  out += fmt::format("{}{:<10} {:<6} {}\n", pad, state_word(r.state), r.kind, shown);
  if (r.state == EntryState::different)
    out += fmt::format("{}{:<10} {:<6} kernel has: {}\n", pad, "", "",
                       r.actual.empty() ? "-" : r.actual);
}

size_t count_not_present(const std::vector<EntryRow>& rows) {
  return size_t(std::count_if(rows.begin(), rows.end(),
                              [](const EntryRow& r) { return r.state != EntryState::present; }));
}

nlohmann::json rows_json(const std::vector<EntryRow>& rows) {
  auto a = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j{{"kind", r.kind}, {"state", to_string(r.state)}};
    if (!r.expected.empty()) j["expected"] = r.expected;
    if (!r.actual.empty()) j["actual"] = r.actual;
    a.push_back(std::move(j));
  }
  return a;
}

template <typename T>
T get_or(const nlohmann::json& j, const nlohmann::json::json_pointer& p, T fallback) {
  if (!j.contains(p)) return fallback;
  const auto& v = j.at(p);
  if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean() ? v.get<bool>() : fallback;
  } else {
    return v.is_number() ? v.get<T>() : fallback;
  }
}

std::string duration_text(double seconds) {
  if (seconds < 1) return fmt::format("{:.1f} ms", seconds * 1000);
  return fmt::format("{:.2f} s", seconds);
}

void podnetd_lines(std::string& out, const NodeInspection& n) {
  if (!n.podnetd) {
    out += fmt::format("  podnetd    NOT ANSWERING: {}\n", n.podnetd_error);
    return;
  }
  using P = nlohmann::json::json_pointer;
  const auto& s = *n.podnetd;
  const double now = get_or(s, P("/now"), double(n.now));
  const bool ready = get_or(s, P("/ready"), false);
  out += fmt::format("  podnetd    healthy, {} ({})\n", ready ? "ready" : "NOT READY",
                     get_or(s, P("/reason"), std::string("?")));
  const std::string err = get_or(s, P("/reconcile/lastError"), std::string());
  out += fmt::format(
      "             last reconcile took {}, {}, {} ({} reconciles, {} failed); store {}\n",
      duration_text(get_or(s, P("/reconcile/lastDurationSeconds"), 0.0)),
      age_text(get_or(s, P("/reconcile/lastTimestamp"), 0.0), now),
      err.empty() ? "no error" : "ERROR: " + err, get_or(s, P("/reconcile/total"), uint64_t(0)),
      get_or(s, P("/reconcile/errors"), uint64_t(0)),
      get_or(s, P("/store/up"), false) ? "up" : "DOWN");
}

void services_lines(std::string& out, const NodeInspection& n) {
  const auto& sv = n.services;
  if (!sv.error.empty())
    out += fmt::format("  services   UNREADABLE: {}\n", sv.error);
  else
    out += fmt::format(
        "  services   {} ({} ports, {} endpoints) in the store: {} elements in table ip "
        "podnet-svc, {}\n",
        sv.services, sv.ports, sv.endpoints, sv.elements,
        sv.missing.empty() ? "none missing" : fmt::format("{} MISSING", sv.missing.size()));
  if (sv.error.empty() && sv.read_back < sv.services)
    out += fmt::format(
        "             (read back: the first {} of {} Services; inspect service NAME for others)\n",
        sv.read_back, sv.services);
  if (n.podnetd) {
    using P = nlohmann::json::json_pointer;
    const auto& s = *n.podnetd;
    const double now = get_or(s, P("/now"), double(n.now));
    if (!get_or(s, P("/proxy/enabled"), false))
      out += "             podnetd: service proxy not running\n";
    else
      out += fmt::format(
          "             podnetd programmed {} service ports, {} endpoints; last sync {}, {} sync "
          "errors\n",
          get_or(s, P("/proxy/servicePorts"), uint64_t(0)),
          get_or(s, P("/proxy/endpoints"), uint64_t(0)),
          age_text(get_or(s, P("/proxy/lastSyncTimestamp"), 0.0), now),
          get_or(s, P("/proxy/syncErrors"), uint64_t(0)));
  }
  for (const auto& r : sv.missing) row_lines(out, r, "      ");
}

}  // namespace

std::string age_text(double then, double now) {
  if (then <= 0) return "never";
  long s = std::max(0L, long(std::lround(now - then)));
  if (s < 60) return fmt::format("{}s ago", s);
  if (s < 3600) return fmt::format("{}m{}s ago", s / 60, s % 60);
  return fmt::format("{}h{}m ago", s / 3600, (s % 3600) / 60);
}

bool node_matches(const NodeInspection& n) {
  return n.error.empty() && all_present(n.match) && all_present(n.vtep_rows) &&
         n.masq_error.empty() && all_present(n.masq_rows) && n.services.error.empty() &&
         n.services.missing.empty() && pod_wiring_problems(n.pods).empty();
}

int inspect_node_exit_code(const NodeInspection& n) {
  return n.podnetd && node_matches(n) ? 0 : 1;
}

std::string inspect_node_text(const NodeInspection& n) {
  std::string out = fmt::format("node {}  {}  podCIDR {}  {}\n", n.node, n.internal_ip, n.pod_cidr,
                                node_matches(n) ? "MATCH" : "MISMATCH");
  out += fmt::format("  lease      {} {}  heartbeat {}\n", n.lease_key,
                     !n.lease_found ? "MISSING"
                     : n.lease_id
                         ? fmt::format("held by {} (store lease {:x})", n.lease_holder, n.lease_id)
                         : fmt::format("held by {}", n.lease_holder),
                     age_text(double(n.heartbeat), double(n.now)));
  out += fmt::format("  backend    {}", n.backend);
  if (n.backend == "vxlan")
    out += fmt::format("  VNI {}  port {}{}", n.vni, n.port,
                       n.direct_routing ? "  directRouting" : "");
  out += "\n";
  if (!n.underlay.empty()) out += fmt::format("  underlay   {}\n", n.underlay);
  if (n.backend == "vxlan") {
    if (!n.vtep.exists) {
      out += fmt::format("  vtep       {} MISSING\n", n.vtep_name);
    } else {
      out += fmt::format("  vtep       {}  mac {}  mtu {}  vni {}  port {}  {}: {}\n", n.vtep_name,
                         n.vtep.mac, n.vtep.mtu, n.vtep.vni ? fmt::format("{}", *n.vtep.vni) : "?",
                         n.vtep.port ? fmt::format("{}", *n.vtep.port) : "?",
                         n.vtep.up ? "UP" : "DOWN",
                         all_present(n.vtep_rows) ? "as planned" : "NOT as planned");
    }
    for (const auto& r : n.vtep_rows)
      if (r.state != EntryState::present) row_lines(out, r, "      ");
  }
  out += pod_wiring_text(n.pods);
  podnetd_lines(out, n);
  for (const auto& note : n.notes) out += fmt::format("  note       {}\n", note);
  if (!n.error.empty()) {
    out += fmt::format("  peers      UNREADABLE: {}\n", n.error);
  } else {
    size_t direct = size_t(std::count_if(n.match.peers.begin(), n.match.peers.end(),
                                         [](const PeerMatch& p) { return p.direct; }));
    size_t bad = 0;
    for (const auto& p : n.match.peers) bad += count_not_present(p.rows);
    out += fmt::format("  peers      {} ({} overlay, {} direct): {}\n", n.match.peers.size(),
                       n.match.peers.size() - direct, direct,
                       bad == 0
                           ? "every entry present"
                           : fmt::format("{} entr{} not as planned", bad, bad == 1 ? "y" : "ies"));
    for (const auto& p : n.match.peers) {
      out += fmt::format("    {}  {}  {}  {}\n", p.name, p.internal_ip, p.pod_cidr,
                         p.direct ? "direct" : "overlay");
      for (const auto& r : p.rows) row_lines(out, r, "      ");
    }
    out += fmt::format(
        "  stale      {}\n",
        n.match.stale.empty()
            ? std::string("none (nothing podnet-owned beyond the plan)")
            : fmt::format("{} podnet-owned entr{} the store does not explain", n.match.stale.size(),
                          n.match.stale.size() == 1 ? "y" : "ies"));
    for (const auto& r : n.match.stale) row_lines(out, r, "      ");
  }
  if (!n.masq_error.empty()) {
    out += fmt::format("  masquerade table {}: {}\n", n.masq_table, n.masq_error);
  } else {
    size_t bad = count_not_present(n.masq_rows);
    size_t in_kernel =
        size_t(std::count_if(n.masq_rows.begin(), n.masq_rows.end(),
                             [](const auto& r) { return r.state != EntryState::missing; }));
    out += fmt::format("  masquerade table {}: {} rule{}, {}\n", n.masq_table, in_kernel,
                       in_kernel == 1 ? "" : "s",
                       bad == 0 ? "as planned" : fmt::format("{} not as planned", bad));
    for (const auto& r : n.masq_rows) row_lines(out, r, "      ");
  }
  services_lines(out, n);
  return out;
}

nlohmann::json inspect_node_json(const NodeInspection& n) {
  using nlohmann::json;
  json j{{"node", n.node},
         {"internalIP", n.internal_ip},
         {"podCIDR", n.pod_cidr},
         {"heartbeat", n.heartbeat},
         {"match", node_matches(n)},
         {"lease",
          {{"key", n.lease_key},
           {"found", n.lease_found},
           {"holder", n.lease_holder},
           {"leaseID", n.lease_id}}},
         {"backend", {{"type", n.backend}}}};
  if (n.backend == "vxlan") {
    j["backend"]["vni"] = n.vni;
    j["backend"]["port"] = n.port;
    j["backend"]["directRouting"] = n.direct_routing;
    json v{{"name", n.vtep_name}, {"exists", n.vtep.exists}};
    if (n.vtep.exists) {
      v["mac"] = n.vtep.mac;
      v["mtu"] = n.vtep.mtu;
      if (n.vtep.vni) v["vni"] = *n.vtep.vni;
      if (n.vtep.port) v["port"] = *n.vtep.port;
      if (n.vtep.local) v["local"] = n.vtep.local->str();
      v["up"] = n.vtep.up;
      v["addresses"] = json::array();
      for (const auto& a : n.vtep.addrs) v["addresses"].push_back(a.str());
    }
    v["entries"] = rows_json(n.vtep_rows);
    j["vtep"] = std::move(v);
  }
  j["underlay"] = n.underlay;
  j["pods"] = pod_wiring_json(n.pods);
  j["notes"] = n.notes;
  if (!n.error.empty()) j["error"] = n.error;
  json peers = json::array();
  for (const auto& p : n.match.peers)
    peers.push_back({{"name", p.name},
                     {"internalIP", p.internal_ip},
                     {"podCIDR", p.pod_cidr},
                     {"path", p.direct ? "direct" : "overlay"},
                     {"entries", rows_json(p.rows)}});
  j["peers"] = std::move(peers);
  j["stale"] = rows_json(n.match.stale);
  j["masquerade"] = {{"table", n.masq_table}, {"entries", rows_json(n.masq_rows)}};
  if (!n.masq_error.empty()) j["masquerade"]["error"] = n.masq_error;
  json sv{{"services", n.services.services},   {"ports", n.services.ports},
          {"endpoints", n.services.endpoints}, {"readBack", n.services.read_back},
          {"elements", n.services.elements},   {"missing", rows_json(n.services.missing)}};
  if (!n.services.error.empty()) sv["error"] = n.services.error;
  j["services"] = std::move(sv);
  j["podnetd"] = n.podnetd ? *n.podnetd : json{{"error", n.podnetd_error}};
  return j;
}

}  // namespace podnet::ctl
