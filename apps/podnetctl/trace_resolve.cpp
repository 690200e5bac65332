#include "trace_resolve.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/cluster/config.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/plan.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

std::string pod_label(const cluster::Pod& p) {
  return p.ns == cluster::default_namespace ? "pod/" + p.name : "pod/" + p.ns + "/" + p.name;
}

const cluster::Service* find_service(const TraceWorld& w, std::string_view ns,
                                     std::string_view name) {
  for (const auto& s : w.services)
    if (s.ns == ns && s.name == name) return &s;
  return nullptr;
}

cluster::Protocol to_cluster(trace::Proto p) {
  return p == trace::Proto::udp ? cluster::Protocol::UDP : cluster::Protocol::TCP;
}

}  // namespace

Result<TraceWorld> read_world(const std::string& lab_name, const lab::LabState& state,
                              store::Store& st, svcstore::ServiceStore& services) {
  TraceWorld w;
  w.lab = lab_name;
  w.state = state;
  w.nodes = lab::parse_nodes(PODNET_TRY(st.list(cluster::nodes_prefix)));
  for (auto& p : PODNET_TRY(list_pods(st, "")))
    if (p.podIP && !p.node.empty()) w.pods.push_back(std::move(p));
  w.services = PODNET_TRY(services.list(""));
  if (auto cfg = st.get(cluster::config_key); cfg && *cfg)
    if (auto c = cluster::parse_config((*cfg)->value)) {
      w.cluster.cluster_cidr = c->clusterCIDR;
      w.cluster.service_cidr = c->serviceCIDR;
    }

  auto& nss = w.reader.namespaces;
  for (const auto& n : state.nodes) {
    const std::string netns = lab::netns_node(lab_name, n.name);
    nss[netns] = trace::Namespace{
        .netns = netns, .label = "node/" + n.name, .role = trace::Role::node, .underlay = "eth0"};
    w.cluster.underlay[n.ip] = netns;
  }
  for (const auto& n : w.nodes)
    if (state.find_node(n.name))
      w.cluster.pod_subnets[n.podCIDR.masked()] = lab::netns_node(lab_name, n.name);
  const std::string ext = lab::netns_ext(lab_name);
  nss[ext] =
      trace::Namespace{.netns = ext, .label = "ext", .role = trace::Role::ext, .underlay = "eth0"};
  w.cluster.underlay[*net::IpAddress::parse(lab::gateway_ip)] = ext;
  for (const auto& p : w.pods) {
    const std::string netns = lab::netns_pod(lab_name, p.ns, p.name);
    nss[netns] = trace::Namespace{.netns = netns,
                                  .label = pod_label(p),
                                  .role = trace::Role::pod,
                                  .node = lab::netns_node(lab_name, p.node)};
    w.cluster.pods[*p.podIP] = netns;
  }
  for (const auto& s : w.services) {
    const std::string key = s.ns + "/" + s.name;
    if (s.clusterIP) w.reader.service_names[*s.clusterIP] = key;
    for (const auto& p : s.ports)
      if (p.nodePort) w.reader.node_port_names[p.nodePort] = key;
  }
  return w;
}

Result<trace::Endpoint> resolve_endpoint(const TraceWorld& w, std::string_view field,
                                         const std::string& text, const std::string& ns,
                                         bool is_from) {
  trace::Endpoint e;
  if (text == "ext") {
    e = {.kind = "ext", .name = "ext", .netns = lab::netns_ext(w.lab)};
    // The outside address (on ext's lo) as a destination; as a source the kernel picks.
    if (!is_from) e.ip = net::IpAddress::parse(lab::ext_lo_ip);
    return e;
  }
  if (text.starts_with("svc/") || text.starts_with("service/")) {
    const std::string name = text.substr(text.find('/') + 1);
    if (is_from) return fail(fmt::format("{}: a service cannot send (\"{}\")", field, text));
    const auto* s = find_service(w, ns, name);
    if (!s) return fail(fmt::format("{}: no service \"{}\" in namespace {}", field, name, ns));
    if (!s->clusterIP) return fail(fmt::format("{}: service \"{}\" has no clusterIP", field, name));
    return trace::Endpoint{.kind = "service", .name = name, .ip = s->clusterIP};
  }
  if (auto ip = net::IpAddress::parse(text)) {
    if (!ip->is_v4()) return fail(fmt::format("{}: \"{}\": only IPv4 is traced", field, text));
    e = {.kind = "ip", .name = text, .ip = ip};
    if (auto it = w.cluster.pods.find(*ip); it != w.cluster.pods.end()) {
      e.netns = it->second;
    } else if (auto u = w.cluster.underlay.find(*ip); u != w.cluster.underlay.end()) {
      e.netns = u->second;
    } else if (text == lab::ext_lo_ip) {
      e.netns = lab::netns_ext(w.lab);
    } else if (is_from) {
      return fail(
          fmt::format("{}: no pod, node or ext host of lab {} has address {}", field, w.lab, text));
    }
    return e;
  }
  if (const auto* n = w.state.find_node(text)) {
    e = {.kind = "node", .name = text, .netns = lab::netns_node(w.lab, text)};
    if (!is_from) e.ip = n->ip;  // as a source, the kernel picks (podnet.1's for pod subnets)
    return e;
  }
  for (const auto& p : w.pods)
    if (p.ns == ns && p.name == text)
      return trace::Endpoint{.kind = "pod",
                             .name = ns == cluster::default_namespace ? text : ns + "/" + text,
                             .netns = lab::netns_pod(w.lab, p.ns, p.name),
                             .ip = p.podIP,
                             .node = p.node};
  return fail(fmt::format(
      "{}: \"{}\" is no pod with an address in namespace {}, node of lab {}, IP address, "
      "svc/NAME or ext",
      field, text, ns, w.lab));
}

Result<trace::Proto> parse_trace_proto(const TraceArgs& a) {
  if (a.port != -1 && (a.port < 1 || a.port > 65535))
    return fail(fmt::format("--port: {} is not in 1..65535", a.port));
  if (a.proto.empty())
    return a.port != -1 || a.to.starts_with("svc/") || a.to.starts_with("service/")
               ? trace::Proto::tcp
               : trace::Proto::icmp;
  if (a.proto == "tcp") return trace::Proto::tcp;
  if (a.proto == "udp") return trace::Proto::udp;
  if (a.proto == "icmp") {
    if (a.port != -1) return fail("--port: icmp has no ports");
    return trace::Proto::icmp;
  }
  return fail(fmt::format("--proto: \"{}\" is not tcp, udp or icmp", a.proto));
}

Result<uint16_t> pick_port(const TraceWorld& w, const TraceArgs& a, const trace::Endpoint& to,
                           trace::Proto proto) {
  if (proto == trace::Proto::icmp) return uint16_t{0};
  if (to.kind != "service") {
    if (a.port == -1)
      return fail(fmt::format("--port: needed for {} to {}", trace::to_string(proto), a.to));
    return static_cast<uint16_t>(a.port);
  }
  const cluster::Service* s = nullptr;
  for (const auto& x : w.services)
    if (x.clusterIP == to.ip) s = &x;
  std::vector<uint16_t> ports;
  for (const auto& p : s ? s->ports : std::vector<cluster::ServicePort>{})
    if (p.protocol == to_cluster(proto)) ports.push_back(p.port);
  if (a.port != -1) {
    if (std::find(ports.begin(), ports.end(), a.port) == ports.end())
      return fail(fmt::format("--port: service {} has no {} port {}", to.name,
                              trace::to_string(proto), a.port));
    return static_cast<uint16_t>(a.port);
  }
  if (ports.empty())
    return fail(
        fmt::format("--proto: service {} has no {} port", to.name, trace::to_string(proto)));
  return ports.front();
}

}  // namespace podnet::ctl
