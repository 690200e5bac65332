#include "core/service_view.hpp"

#include <fmt/format.h>

#include "core/describe_text.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::ctl {
namespace {

using nlohmann::json;

std::string target_text(const cluster::ServicePort& p) {
  return p.targetPort.str();
}

std::string port_name_or_unset(const cluster::ServicePort& p) {
  return p.name.empty() ? "<unset>" : p.name;
}

std::string age_of(const cluster::Service& s, int64_t now) {
  return s.created ? lab::human_age(now - s.created) : "<unknown>";
}

// The endpoints kubectl lists for one port: "ip:port", up to 3 then " + N more...".
std::string port_endpoints(const cluster::PortEndpoints& pe) {
  return cluster::endpoints_column({pe});
}

}  // namespace

std::string ports_column(const cluster::Service& s) {
  if (s.ports.empty()) return "<none>";
  std::string out;
  for (const auto& p : s.ports) {
    if (!out.empty()) out += ',';
    if (p.nodePort)
      out += fmt::format("{}:{}/{}", p.port, p.nodePort, cluster::to_string(p.protocol));
    else
      out += fmt::format("{}/{}", p.port, cluster::to_string(p.protocol));
  }
  return out;
}

std::string selector_column(const cluster::Labels& selector) {
  if (selector.empty()) return "<none>";
  std::string out;
  for (const auto& [k, v] : selector) out += fmt::format("{}{}={}", out.empty() ? "" : ",", k, v);
  return out;
}

// kubectl's EXTERNAL-IP column: the external IPs joined by commas, else <none>.
std::string external_ips_column(const cluster::Service& s) {
  if (s.externalIPs.empty()) return "<none>";
  std::string out;
  for (const auto& ip : s.externalIPs) out += (out.empty() ? "" : ",") + ip.str();
  return out;
}

std::string services_table(const std::vector<cluster::Service>& services, int64_t now,
                           ServiceTableOptions opt) {
  lab::Row header = {"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"};
  if (opt.namespaces) header.insert(header.begin(), "NAMESPACE");
  if (opt.wide) header.push_back("SELECTOR");
  std::vector<lab::Row> rows;
  rows.reserve(services.size());
  for (const auto& s : services) {
    lab::Row r = {s.name,
                  std::string(cluster::to_string(s.type)),
                  s.clusterIP ? s.clusterIP->str() : "<none>",
                  external_ips_column(s),
                  ports_column(s),
                  age_of(s, now)};
    if (opt.namespaces) r.insert(r.begin(), s.ns);
    if (opt.wide) r.push_back(selector_column(s.selector));
    rows.push_back(std::move(r));
  }
  return lab::format_table(header, rows);
}

std::string endpoints_table(const std::vector<EndpointsRow>& rows, int64_t now, bool namespaces) {
  lab::Row header = {"NAME", "ENDPOINTS", "AGE"};
  if (namespaces) header.insert(header.begin(), "NAMESPACE");
  std::vector<lab::Row> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    lab::Row r = {row.service->name, cluster::endpoints_column(row.ports),
                  age_of(*row.service, now)};
    if (namespaces) r.insert(r.begin(), row.service->ns);
    out.push_back(std::move(r));
  }
  return lab::format_table(header, out);
}

std::string describe_service(const cluster::Service& s,
                             const std::vector<cluster::PortEndpoints>& eps,
                             const std::vector<cluster::StoredEvent>& events, int64_t now) {
  // The longest label, "External Traffic Policy:", plus two spaces.
  DescribeText d{.column = 26, .out = {}};
  d.line("Name:", s.name);
  d.line("Namespace:", s.ns);
  d.labels("Labels:", s.labels);
  d.line("Annotations:", "<none>");
  d.line("Selector:", selector_column(s.selector));
  d.line("Type:", cluster::to_string(s.type));
  d.line("IP Family Policy:", "SingleStack");
  const std::string ip = s.clusterIP ? s.clusterIP->str() : "<none>";
  d.line("IP Families:", !s.clusterIP ? "<none>" : s.clusterIP->is_v4() ? "IPv4" : "IPv6");
  d.line("IP:", ip);
  d.line("IPs:", ip);
  if (!s.externalIPs.empty()) d.line("External IPs:", external_ips_column(s));
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const auto& p = s.ports[i];
    const auto proto = cluster::to_string(p.protocol);
    d.line("Port:", fmt::format("{}  {}/{}", port_name_or_unset(p), p.port, proto));
    d.line("TargetPort:", fmt::format("{}/{}", target_text(p), proto));
    if (p.nodePort)
      d.line("NodePort:", fmt::format("{}  {}/{}", port_name_or_unset(p), p.nodePort, proto));
    std::string endpoints = "<none>";
    for (const auto& pe : eps)
      if (pe.index == i) endpoints = port_endpoints(pe);
    d.line("Endpoints:", endpoints);
  }
  d.line("Session Affinity:", cluster::to_string(s.sessionAffinity));
  if (s.type == cluster::ServiceType::NodePort)
    d.line("External Traffic Policy:", cluster::to_string(s.externalTrafficPolicy));
  d.line("Internal Traffic Policy:", cluster::to_string(s.internalTrafficPolicy));
  d.events(events, now);
  return std::move(d.out);
}

json endpoints_json(const cluster::Service& s, const std::vector<cluster::PortEndpoints>& eps) {
  json meta = {{"name", s.name}, {"namespace", s.ns}};
  if (!s.labels.empty()) meta["labels"] = s.labels;
  if (s.created) meta["creationTimestamp"] = cluster::format_timestamp(s.created);
  json subsets = json::array();
  for (const auto& pe : eps) {
    if (pe.endpoints.empty()) continue;
    json ready = json::array(), not_ready = json::array();
    for (const auto& e : pe.endpoints) {
      json a = {{"ip", e.ip.str()}};
      if (!e.node.empty()) a["nodeName"] = e.node;
      if (!e.pod.empty()) a["targetRef"] = {{"kind", "Pod"}, {"name", e.pod}, {"namespace", s.ns}};
      (e.ready ? ready : not_ready).push_back(std::move(a));
    }
    // One subset per service port, with the first endpoint's resolved port (a named
    // targetPort may resolve differently per pod; Kubernetes would split the subset).
    json ports = json::array();
    json port = {{"port", pe.endpoints.front().port},
                 {"protocol", cluster::to_string(pe.protocol)}};
    if (!pe.name.empty()) port["name"] = pe.name;
    ports.push_back(std::move(port));
    json subset = {{"ports", ports}};
    if (!ready.empty()) subset["addresses"] = std::move(ready);
    if (!not_ready.empty()) subset["notReadyAddresses"] = std::move(not_ready);
    subsets.push_back(std::move(subset));
  }
  json j = {{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", meta}};
  if (!subsets.empty()) j["subsets"] = std::move(subsets);
  return j;
}

}  // namespace podnet::ctl
