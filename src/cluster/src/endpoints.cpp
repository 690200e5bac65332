#include "podnet/cluster/endpoints.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace podnet::cluster {

namespace {

// Whether a pod serves: Running and ready; with publishNotReadyAddresses any live pod.
bool serves(const Pod& p, bool publish_not_ready) {
  if (!p.podIP) return false;
  if (publish_not_ready) return p.phase != PodPhase::Succeeded && p.phase != PodPhase::Failed;
  return p.phase == PodPhase::Running && p.ready;
}

void sort_unique(std::vector<Endpoint>& eps) {
  std::sort(eps.begin(), eps.end());
  eps.erase(std::unique(eps.begin(), eps.end(),
                        [](const Endpoint& a, const Endpoint& b) {
                          return a.ip == b.ip && a.port == b.port;
                        }),
            eps.end());
}

}  // namespace

std::vector<PortEndpoints> compute_endpoints(const Service& s, const std::vector<Pod>& pods) {
  std::vector<PortEndpoints> out;
  out.reserve(s.ports.size());
  std::vector<const Pod*> members;
  if (!s.selector.empty())
    for (const auto& p : pods)
      if (p.ns == s.ns && serves(p, s.publishNotReadyAddresses) &&
          selector_matches(s.selector, p.labels))
        members.push_back(&p);
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePort& sp = s.ports[i];
    PortEndpoints pe{i, sp.name, sp.protocol, sp.port, {}};
    if (s.selector.empty()) {
      for (const auto& e : s.endpoints) {
        if (!e.portName.empty() && e.portName != sp.name) continue;
        uint16_t port = e.port ? e.port : sp.targetPort.number;
        if (port) pe.endpoints.push_back(Endpoint{e.ip, port, "", "", true});
      }
    } else {
      for (const Pod* p : members) {
        uint16_t port = sp.targetPort.number;
        if (sp.targetPort.named()) port = named_port(*p, sp.targetPort.name).value_or(0);
        if (!port) continue;  // the pod lacks the named port
        bool ready = p->phase == PodPhase::Running && p->ready;
        pe.endpoints.push_back(Endpoint{*p->podIP, port, p->node, p->name, ready});
      }
    }
    sort_unique(pe.endpoints);
    out.push_back(std::move(pe));
  }
  return out;
}

std::string endpoints_column(const std::vector<PortEndpoints>& eps, size_t max_shown) {
  std::vector<std::string> all;
  std::set<std::pair<net::IpAddress, uint16_t>> seen;
  for (const auto& pe : eps)
    for (const auto& e : pe.endpoints)
      if (seen.emplace(e.ip, e.port).second)
        all.push_back(e.ip.is_v4() ? fmt::format("{}:{}", e.ip.str(), e.port)
                                   : fmt::format("[{}]:{}", e.ip.str(), e.port));
  if (all.empty()) return "<none>";
  std::string out;
  for (size_t i = 0; i < all.size() && i < max_shown; ++i) out += (i ? "," : "") + all[i];
  if (all.size() > max_shown) out += fmt::format(" + {} more...", all.size() - max_shown);
  return out;
}

}  // namespace podnet::cluster
