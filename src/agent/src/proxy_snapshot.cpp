#include "podnet/agent/proxy_snapshot.hpp"

namespace podnet::agent {

namespace {
proxy::Protocol to_proxy(cluster::Protocol p) {
  switch (p) {
    case cluster::Protocol::UDP: return proxy::Protocol::udp;
    case cluster::Protocol::SCTP: return proxy::Protocol::sctp;
    case cluster::Protocol::TCP: break;
  }
  return proxy::Protocol::tcp;
}
}  // namespace

std::optional<proxy::Service> to_proxy_service(const cluster::Service& s,
                                               const std::vector<cluster::PortEndpoints>& eps,
                                               std::string_view node) {
  if (!s.clusterIP) return std::nullopt;
  proxy::Service out{.ns = s.ns,
                     .name = s.name,
                     .cluster_ip = *s.clusterIP,
                     .ports = {},
                     .affinity_timeout = s.sessionAffinity == cluster::SessionAffinity::ClientIP
                                             ? uint32_t(s.affinityTimeout)
                                             : 0,
                     .external_local = s.type == cluster::ServiceType::NodePort &&
                                       s.externalTrafficPolicy == cluster::TrafficPolicy::Local,
                     .internal_local = s.internalTrafficPolicy == cluster::TrafficPolicy::Local};
  // Only addresses of the service's family: a key of the other would not fit the maps.
  for (const auto& ip : s.externalIPs)
    if (ip.family() == s.clusterIP->family()) out.external_ips.push_back(ip);
  out.ports.reserve(s.ports.size());
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const auto& sp = s.ports[i];
    proxy::ServicePort p{.name = sp.name,
                         .protocol = to_proxy(sp.protocol),
                         .port = sp.port,
                         .node_port = s.type == cluster::ServiceType::NodePort ? sp.nodePort
                                                                               : uint16_t(0),
                         .endpoints = {}};
    for (const auto& pe : eps)
      if (pe.index == i)
        for (const auto& e : pe.endpoints)
          p.endpoints.push_back({.ip = e.ip, .port = e.port, .local = !node.empty() && e.node == node});
    out.ports.push_back(std::move(p));
  }
  return out;
}

size_t endpoint_count(const proxy::Service& s) {
  size_t n = 0;
  for (const auto& p : s.ports) n += p.endpoints.size();
  return n;
}

}  // namespace podnet::agent
