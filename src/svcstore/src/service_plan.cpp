#include "service_plan.hpp"

#include <set>

namespace podnet::svcstore {

std::string cluster_ip_key(const net::IpAddress& ip) {
  return fmt::format("{}{}", cluster_ip_prefix, ip.str());
}
std::string node_port_key(uint16_t port) {
  return fmt::format("{}{}", node_port_prefix, port);
}

std::string_view to_string(Action a) {
  switch (a) {
    case Action::created:
      return "created";
    case Action::updated:
      return "configured";
    case Action::unchanged:
      return "unchanged";
  }
  return "?";
}

namespace detail {

using cluster::Service;
using cluster::ServiceType;
using cluster::Take;

std::string owner_of(const Service& s) {
  return fmt::format("{}/{}", s.ns, s.name);
}

void normalize(Service& s) {
  if (s.ns.empty()) s.ns = std::string(cluster::default_namespace);
  for (auto& p : s.ports)
    if (!p.targetPort.named() && p.targetPort.number == 0) p.targetPort.number = p.port;
}

void Known::add(const store::KeyValue& kv) {
  if (kv.key.starts_with(cluster_ip_prefix)) {
    if (auto ip = net::IpAddress::parse(std::string_view(kv.key).substr(cluster_ip_prefix.size())))
      (void)ips.take(*ip);
  } else if (kv.key.starts_with(node_port_prefix)) {
    std::string_view n = std::string_view(kv.key).substr(node_port_prefix.size());
    int v = 0;
    for (char c : n) v = (c >= '0' && c <= '9' && v < 100000) ? v * 10 + (c - '0') : 1 << 20;
    if (v > 0 && v <= 65535) (void)ports.take(uint16_t(v));
  }
  keys[kv.key] = kv;
}

namespace {

std::string taken_by(const Known& known, const std::string& key) {
  auto it = known.keys.find(key);
  if (it == known.keys.end() || it->second.value.empty()) return "is already allocated";
  return fmt::format("is already allocated to {}", it->second.value);
}

// The nodePort an updated port keeps: the old port of the same name (named ports) or of the
// same protocol and port.
uint16_t old_node_port(const cluster::ServicePort& p, const Service& old) {
  for (const auto& o : old.ports)
    if (!p.name.empty() && o.name == p.name && o.protocol == p.protocol && o.nodePort)
      return o.nodePort;
  for (const auto& o : old.ports)
    if (o.protocol == p.protocol && o.port == p.port && o.nodePort) return o.nodePort;
  return 0;
}

std::set<uint16_t> node_ports(const Service& s) {
  std::set<uint16_t> out;
  if (s.type == ServiceType::NodePort)
    for (const auto& p : s.ports)
      if (p.nodePort) out.insert(p.nodePort);
  return out;
}

}  // namespace

Result<Plan> plan_apply(Service want, const std::optional<StoredService>& cur, Known& known,
                        int64_t now, uint64_t salt) {
  normalize(want);
  const std::string owner = owner_of(want);
  const std::string skey = cluster::service_key(want.ns, want.name);
  Plan plan;
  std::set<uint16_t> held;  // nodePorts this Service holds already (kept on update)
  std::optional<net::IpAddress> held_ip;
  if (cur) {
    const Service& old = cur->service;
    if (want.clusterIP && old.clusterIP && *want.clusterIP != *old.clusterIP)
      return fail(fmt::format("spec.clusterIP: may not change ({} is allocated to this service)",
                              old.clusterIP->str()));
    want.clusterIP = old.clusterIP;
    held_ip = old.clusterIP;
    if (old.created) want.created = old.created;
    held = node_ports(old);
    if (want.type == ServiceType::NodePort)
      for (auto& p : want.ports)
        if (!p.nodePort) p.nodePort = old_node_port(p, old);
    plan.action = Action::updated;
    plan.compares.push_back({skey, cur->mod_revision});
  } else {
    if (!want.created) want.created = now;
    plan.compares.push_back({skey, 0});
  }

  std::vector<std::string> claim;  // allocation keys to create
  if (want.clusterIP && want.clusterIP != held_ip) {
    switch (known.ips.take(*want.clusterIP)) {
      case Take::ok:
        break;
      case Take::taken:
        return fail(fmt::format("spec.clusterIP: {} {}", want.clusterIP->str(),
                                taken_by(known, cluster_ip_key(*want.clusterIP))));
      case Take::out_of_range:
        return fail(fmt::format("spec.clusterIP: {} is not a usable address of the service CIDR {}",
                                want.clusterIP->str(), known.ips.cidr().str()));
    }
    claim.push_back(cluster_ip_key(*want.clusterIP));
  } else if (!want.clusterIP) {
    auto ip = known.ips.allocate(cluster::alloc_seed(want.ns, want.name, salt));
    if (!ip)
      return fail(fmt::format("spec.clusterIP: no free address in the service CIDR {} ({} in use)",
                              known.ips.cidr().str(), known.ips.used()));
    want.clusterIP = ip;
    claim.push_back(cluster_ip_key(*ip));
  }

  std::set<uint16_t> mine;  // nodePorts of `want` (one may serve TCP and UDP)
  if (want.type == ServiceType::NodePort) {
    for (size_t i = 0; i < want.ports.size(); ++i) {  // given ones first: they must not move
      uint16_t np = want.ports[i].nodePort;
      if (!np || held.contains(np) || mine.contains(np)) {
        if (np) mine.insert(np);
        continue;
      }
      switch (known.ports.take(np)) {
        case Take::ok:
          break;
        case Take::taken:
          return fail(fmt::format("spec.ports[{}].nodePort: {} {}", i, np,
                                  taken_by(known, node_port_key(np))));
        case Take::out_of_range:
          return fail(fmt::format("spec.ports[{}].nodePort: {} is outside the NodePort range {}-{}",
                                  i, np, known.ports.range().min, known.ports.range().max));
      }
      mine.insert(np);
      claim.push_back(node_port_key(np));
    }
    for (size_t i = 0; i < want.ports.size(); ++i) {
      if (want.ports[i].nodePort) continue;
      auto np = known.ports.allocate(cluster::alloc_seed(want.ns, want.name, salt * 131 + i));
      if (!np)
        return fail(fmt::format("spec.ports[{}].nodePort: no free port in the NodePort range {}-{}",
                                i, known.ports.range().min, known.ports.range().max));
      want.ports[i].nodePort = *np;
      mine.insert(*np);
      claim.push_back(node_port_key(*np));
    }
  } else {
    for (auto& p : want.ports) p.nodePort = 0;
  }

  if (cur && want == cur->service) {
    plan.action = Action::unchanged;
    plan.compares.clear();
    plan.service = std::move(want);
    return plan;
  }
  for (const auto& k : claim) plan.compares.push_back({k, 0});
  plan.ops.push_back({store::TxnOp::Type::put, skey, cluster::to_json_text(want), 0});
  for (const auto& k : claim) plan.ops.push_back({store::TxnOp::Type::put, k, owner, 0});
  // Released nodePorts: deleted only when the store shows them as ours, at their revision.
  for (uint16_t np : held) {
    if (mine.contains(np)) continue;
    auto it = known.keys.find(node_port_key(np));
    if (it == known.keys.end() || it->second.value != owner) continue;
    plan.compares.push_back({it->first, it->second.mod_revision});
    plan.ops.push_back({store::TxnOp::Type::del, it->first, "", 0});
  }
  plan.service = std::move(want);
  return plan;
}

Plan plan_delete(const StoredService& cur, const Known& known) {
  Plan plan;
  const Service& s = cur.service;
  const std::string owner = owner_of(s);
  const std::string skey = cluster::service_key(s.ns, s.name);
  plan.service = s;
  plan.compares.push_back({skey, cur.mod_revision});
  plan.ops.push_back({store::TxnOp::Type::del, skey, "", 0});
  std::vector<std::string> keys;
  if (s.clusterIP) keys.push_back(cluster_ip_key(*s.clusterIP));
  for (uint16_t np : node_ports(s)) keys.push_back(node_port_key(np));
  for (const auto& k : keys) {
    auto it = known.keys.find(k);
    if (it == known.keys.end() || it->second.value != owner) continue;
    plan.compares.push_back({k, it->second.mod_revision});
    plan.ops.push_back({store::TxnOp::Type::del, k, "", 0});
  }
  return plan;
}

}  // namespace detail
}  // namespace podnet::svcstore
