#include "podnet/agent/peers.hpp"
#include "podnet/common/json_bounded.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"

namespace podnet::agent {

Result<cluster::Node> parse_node_entry(std::string_view value) {
  // Store objects are bounded like every outside JSON (nlohmann copies recurse).
  auto j = parse_json_bounded(value, json_default_max_depth, json_default_max_bytes, "");
  if (!j) return fail(j.error());
  return cluster::node_from_json(*j);
}

PeerSet peers_from_nodes(const NodeEntries& nodes, const routes::Self& self,
                         const cluster::ClusterConfig& cfg) {
  PeerSet out;
  const bool vxlan = cfg.backend.type == cluster::BackendType::vxlan;
  for (const auto& [key, n] : nodes) {
    std::string_view key_name = std::string_view(key).substr(
        key.starts_with(cluster::nodes_prefix) ? cluster::nodes_prefix.size() : 0);
    if (key_name == self.name) continue;
    auto skip = [&](const std::string& why) {
      out.skipped.push_back(fmt::format("node entry {}: {}", key, why));
    };
    if (!n) {
      skip(n.error().message);
      continue;
    }
    if (n->name != key_name) {
      skip(fmt::format("metadata.name \"{}\" does not match the key", n->name));
      continue;
    }
    if (n->name == self.name) continue;
    net::Prefix cidr = n->podCIDR.masked();
    if (n->internalIP.family() != self.internal_ip.family() ||
        cidr.family() != self.pod_cidr.family()) {
      skip(fmt::format("address family differs from this node's"));
      continue;
    }
    if (!cfg.clusterCIDR.contains(cidr)) {
      skip(fmt::format("podCIDR {} is outside the cluster CIDR {}", cidr.str(),
                       cfg.clusterCIDR.str()));
      continue;
    }
    if (cidr.overlaps(self.pod_cidr.masked())) {
      skip(fmt::format("podCIDR {} overlaps this node's {}", cidr.str(),
                       self.pod_cidr.masked().str()));
      continue;
    }
    auto clash = std::find_if(out.peers.begin(), out.peers.end(),
                              [&](const routes::Peer& p) { return p.pod_cidr.overlaps(cidr); });
    if (clash != out.peers.end()) {
      skip(fmt::format("podCIDR {} overlaps node {}'s {}", cidr.str(), clash->name,
                       clash->pod_cidr.str()));
      continue;
    }
    routes::Peer p{n->name, n->internalIP, cidr, std::nullopt};
    if (vxlan) {
      auto mac = sys::Mac::parse(n->vtepMAC);
      if (!mac || !mac->is_valid_unicast()) {
        skip(fmt::format("no valid spec.backend.vtepMAC (\"{}\") for the vxlan backend",
                         n->vtepMAC));
        continue;
      }
      p.vtep_mac = *mac;
    } else {
      if (auto why = routes::host_gw_unreachable(self, p)) {
        out.refused.push_back(std::move(*why));
        continue;
      }
    }
    out.peers.push_back(std::move(p));
  }
  return out;
}

bool same_peer(const routes::Peer& a, const routes::Peer& b) {
  return a.name == b.name && a.internal_ip == b.internal_ip && a.pod_cidr == b.pod_cidr &&
         a.vtep_mac == b.vtep_mac;
}

bool same_peers(const std::vector<routes::Peer>& a, const std::vector<routes::Peer>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_peer);
}

SkipLog::News SkipLog::update(const PeerSet& ps) {
  News n;
  std::set<std::string> now(ps.skipped.begin(), ps.skipped.end());
  now.insert(ps.refused.begin(), ps.refused.end());
  for (const auto& s : ps.skipped)
    if (!last_.contains(s)) n.skipped.push_back(s);
  for (const auto& s : ps.refused)
    if (!last_.contains(s)) n.refused.push_back(s);
  last_ = std::move(now);
  return n;
}

namespace {
std::string describe(const routes::Peer& p) {
  std::string s = fmt::format("{} via {}", p.pod_cidr.str(), p.internal_ip.str());
  if (p.vtep_mac) s += " vtep " + p.vtep_mac->str();
  return s;
}
}  // namespace

std::vector<std::string> peer_changes(const std::vector<routes::Peer>& before,
                                      const std::vector<routes::Peer>& after, bool initial) {
  std::vector<std::string> out;
  auto find = [](const std::vector<routes::Peer>& v, const std::string& name) {
    return std::find_if(v.begin(), v.end(), [&](const routes::Peer& p) { return p.name == name; });
  };
  for (const auto& p : after) {
    auto it = find(before, p.name);
    if (it == before.end())
      out.push_back(
          fmt::format("peer {} {} ({})", p.name, initial ? "present" : "added", describe(p)));
    else if (!same_peer(*it, p))
      out.push_back(fmt::format("peer {} changed ({} -> {})", p.name, describe(*it), describe(p)));
  }
  for (const auto& p : before)
    if (find(after, p.name) == after.end())
      out.push_back(fmt::format("peer {} removed ({})", p.name, p.pod_cidr.str()));
  return out;
}

std::vector<PeerEvent> peer_route_events(const std::vector<routes::Peer>& before,
                                         const std::vector<routes::Peer>& after) {
  std::vector<PeerEvent> out;
  auto find = [](const std::vector<routes::Peer>& v, const std::string& name) {
    return std::find_if(v.begin(), v.end(), [&](const routes::Peer& p) { return p.name == name; });
  };
  for (const auto& p : after) {
    auto it = find(before, p.name);
    if (it == before.end())
      out.push_back({"RouteAdded", fmt::format("Route to node {} added: {}", p.name, describe(p))});
    else if (!same_peer(*it, p))
      out.push_back({"RouteChanged", fmt::format("Route to node {} changed: {} -> {}", p.name,
                                                 describe(*it), describe(p))});
  }
  for (const auto& p : before)
    if (find(after, p.name) == after.end())
      out.push_back(
          {"RouteRemoved", fmt::format("Route to node {} removed: {}", p.name, p.pod_cidr.str())});
  return out;
}

}  // namespace podnet::agent
