#include "podnet/proxy/conntrack_plan.hpp"

#include <algorithm>

namespace podnet::proxy {

namespace {
const ServicePort* find_port(const Service* s, const ServicePort& p) {
  if (!s) return nullptr;
  for (const auto& q : s->ports)
    if (q.protocol == p.protocol && q.port == p.port) return &q;
  return nullptr;
}
bool has(const std::vector<Endpoint>& eps, const Endpoint& e) {
  return std::any_of(eps.begin(), eps.end(),
                     [&](const Endpoint& x) { return x.ip == e.ip && x.port == e.port; });
}
}  // namespace

std::vector<ConntrackFilter> conntrack_cleanup(const Service* old, const Service* now) {
  std::vector<ConntrackFilter> out;
  auto push = [&](ConntrackFilter f) {
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  };
  if (old)
    for (const auto& p : old->ports) {
      if (p.protocol != Protocol::udp) continue;
      const ServicePort* q =
          now && now->cluster_ip == old->cluster_ip ? find_port(now, p) : nullptr;
      for (const auto& e : p.endpoints) {
        if (q && has(q->endpoints, e)) continue;
        push(ConntrackFilter{Protocol::udp, old->cluster_ip, p.port, e.ip, e.port, false});
        for (const auto& x : old->external_ips)
          push(ConntrackFilter{Protocol::udp, x, p.port, e.ip, e.port, false});
        if (p.node_port)
          push(ConntrackFilter{Protocol::udp, std::nullopt, p.node_port, e.ip, e.port, false});
      }
    }
  // An external IP the service no longer has: its UDP flows would go on past the rules.
  if (old)
    for (const auto& x : old->external_ips) {
      if (now && std::find(now->external_ips.begin(), now->external_ips.end(), x) !=
                     now->external_ips.end())
        continue;
      for (const auto& p : old->ports)
        if (p.protocol == Protocol::udp)
          push(ConntrackFilter{Protocol::udp, x, p.port, std::nullopt, 0, false});
    }
  if (now)
    for (const auto& p : now->ports) {
      if (p.protocol != Protocol::udp || p.endpoints.empty()) continue;
      const ServicePort* q =
          old && old->cluster_ip == now->cluster_ip ? find_port(old, p) : nullptr;
      if (q && !q->endpoints.empty()) continue;
      push(ConntrackFilter{Protocol::udp, now->cluster_ip, p.port, std::nullopt, 0, true});
      for (const auto& x : now->external_ips)
        push(ConntrackFilter{Protocol::udp, x, p.port, std::nullopt, 0, true});
      if (p.node_port)
        push(ConntrackFilter{Protocol::udp, std::nullopt, p.node_port, std::nullopt, 0, true});
    }
  return out;
}

bool matches(const ConntrackFilter& f, const ConntrackFlow& flow) {
  if (f.protocol != flow.protocol || f.orig_dport != flow.orig_dport) return false;
  if (f.orig_dst && *f.orig_dst != flow.orig_dst) return false;
  if (f.reply_src && *f.reply_src != flow.reply_src) return false;
  if (f.reply_sport && f.reply_sport != flow.reply_sport) return false;
  if (f.only_not_dnat && flow.dnat) return false;
  return true;
}

}  // namespace podnet::proxy
