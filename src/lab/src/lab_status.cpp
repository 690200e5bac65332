// lab status: compares lab.json with what runs and what the store holds.
#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"
#include "podnet/lab/lab.hpp"
#include "podnet/lab/lab_store.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/processes.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::lab {

bool StatusReport::ok() const {
  if (!store_error.empty() || !missing_netns.empty()) return false;
  for (const auto& n : nodes)
    if (!n.ok()) return false;
  for (const auto& p : processes)
    if (!p.alive) return false;
  return true;
}

Result<StatusReport> lab_status(std::string_view lab) {
  PODNET_TRY_VOID(validate_lab_name(lab));
  StatusReport r;
  r.state = PODNET_TRY(require_state(lab));
  const LabState& s = r.state;

  std::vector<std::string> expected = {netns_switch(lab), netns_ext(lab)};
  if (s.spec.store == StoreKind::etcd) expected.push_back(netns_etcd(lab));
  for (const auto& n : s.nodes) expected.push_back(netns_node(lab, n.name));
  for (const auto& n : expected)
    if (!named_netns_exists(n)) r.missing_netns.push_back(n);

  for (const auto& p : s.processes)
    r.processes.push_back({p.role, p.node, p.pid, process_alive(p)});

  std::vector<cluster::Node> in_store;
  auto listed = with_lab_store(s, [](store::Store& st) { return st.list(cluster::nodes_prefix); });
  if (listed)
    in_store = parse_nodes(*listed);
  else
    r.store_error = listed.error().message;

  for (const auto& n : s.nodes) {
    NodeStatus ns;
    ns.name = n.name;
    ns.ip = n.ip.str();
    ns.netns = named_netns_exists(netns_node(lab, n.name));
    if (const auto* p = s.find_process("podnetd", n.name)) {
      ns.podnetd_pid = p->pid;
      ns.podnetd_alive = process_alive(*p);
    }
    for (const auto& node : in_store)
      if (node.name == n.name) {
        ns.in_store = true;
        ns.subnet = node.podCIDR.masked().str();
      }
    r.nodes.push_back(std::move(ns));
  }
  return r;
}

std::string format_status(const StatusReport& r) {
  const LabState& s = r.state;
  std::string out =
      fmt::format("lab {}: {} nodes, store {} ({}), backend {}\n", s.spec.name, s.nodes.size(),
                  to_string(s.spec.store), s.store_url, wiring_label(s.spec));
  std::vector<Row> rows;
  for (const auto& n : r.nodes)
    rows.push_back({n.name, n.ip, n.netns ? "ok" : "MISSING",
                    n.podnetd_pid
                        ? fmt::format("{} {}", n.podnetd_pid, n.podnetd_alive ? "running" : "DEAD")
                        : "NOT STARTED",
                    n.in_store ? "yes" : "NO", n.subnet.empty() ? "-" : n.subnet});
  out += format_table({"NODE", "IP", "NETNS", "PODNETD", "IN-STORE", "SUBNET"}, rows);
  rows.clear();
  for (const auto& p : r.processes)
    rows.push_back({p.role, p.node.empty() ? "-" : p.node, std::to_string(p.pid),
                    p.alive ? "running" : "DEAD"});
  out += "\n" + format_table({"PROCESS", "NODE", "PID", "STATE"}, rows);
  for (const auto& n : r.missing_netns) out += "missing netns " + n + "\n";
  if (!r.store_error.empty()) out += "store unreachable: " + r.store_error + "\n";
  out += r.ok() ? "status: ok\n" : "status: NOT OK\n";
  return out;
}

}  // namespace podnet::lab
