#include "podnet/cluster/subnet_alloc.hpp"

#include <algorithm>
#include <vector>

namespace podnet::cluster {

namespace {

// Bits [from, to) of the address (bit 0 = most significant) as an integer; to - from <= 62.
uint64_t bits_of(const net::IpAddress& a, int from, int to) {
  uint64_t v = 0;
  for (int b = from; b < to; ++b) {
    const int bit = (a.data()[b / 8] >> (7 - b % 8)) & 1;
    v = (v << 1) | uint64_t(bit);
  }
  return v;
}

}  // namespace

uint64_t subnet_count(const ClusterConfig& c) {
  const int bits = c.nodeSubnetLen - c.clusterCIDR.length();
  if (bits <= 0) return bits == 0 ? 1 : 0;
  if (bits >= 64) return UINT64_MAX;
  return uint64_t(1) << bits;
}

Result<SubnetChoice> choose_subnet(const ClusterConfig& c, std::span<const SubnetLease> taken,
                                   std::string_view self_name, const net::IpAddress& self_ip,
                                   const std::optional<net::Prefix>& previous) {
  PODNET_TRY_VOID(validate(c));
  const net::Prefix& cluster = c.clusterCIDR;
  const int len = c.nodeSubnetLen;
  auto usable = [&](const net::Prefix& p) {
    return p.family() == cluster.family() && p.length() == len && p.masked() == p &&
           cluster.contains(p);
  };

  // 1. A lease this node already holds.
  const SubnetLease* by_name = nullptr;
  const SubnetLease* by_ip = nullptr;
  for (const auto& l : taken) {
    if (!usable(l.cidr)) continue;
    if (l.node == self_name && (!by_name || l.cidr < by_name->cidr)) by_name = &l;
    if (l.internalIP == self_ip && (!by_ip || l.cidr < by_ip->cidr)) by_ip = &l;
  }
  if (by_name) return SubnetChoice{by_name->cidr, SubnetChoice::Source::held};
  if (by_ip) return SubnetChoice{by_ip->cidr, SubnetChoice::Source::held};

  // 2. The subnet recorded locally, if no lease overlaps it.
  if (previous && usable(*previous)) {
    const bool busy = std::any_of(taken.begin(), taken.end(),
                                  [&](const SubnetLease& l) { return l.cidr.overlaps(*previous); });
    if (!busy) return SubnetChoice{*previous, SubnetChoice::Source::previous};
  }

  // 3. The lowest free subnet. Candidates are indexed inside a window at the start of the
  // cluster CIDR holding at most 2^62 subnets (all of them for IPv4; an IPv6 cluster with
  // more never needs the rest). Each lease blocks the index range it overlaps (a lease of
  // another length, left by a config change, blocks every subnet it touches).
  const int wbits = std::min(len - cluster.length(), 62);
  const net::Prefix window(cluster.network(), len - wbits);
  const uint64_t count = uint64_t(1) << wbits;
  const int from = window.length();
  std::vector<std::pair<uint64_t, uint64_t>> blocked;  // inclusive index ranges
  blocked.reserve(taken.size());
  for (const auto& l : taken) {
    const net::Prefix& p = l.cidr;
    if (p.family() != cluster.family() || !p.overlaps(window)) continue;
    const uint64_t first = window.contains(p.network()) ? bits_of(p.network(), from, len) : 0;
    const uint64_t last = window.contains(p.last()) ? bits_of(p.last(), from, len) : count - 1;
    blocked.emplace_back(first, last);
  }
  std::sort(blocked.begin(), blocked.end());
  uint64_t candidate = 0;
  for (const auto& [first, last] : blocked) {
    if (first > candidate) break;
    candidate = std::max(candidate, last + 1);  // last < count <= 2^62: no overflow
  }
  if (candidate >= count) {
    size_t holders = 0;
    for (const auto& l : taken)
      if (l.cidr.family() == cluster.family() && l.cidr.overlaps(cluster)) ++holders;
    return fail(fmt::format("no free /{} left in {} ({} node{} hold{} one)", len, cluster.str(),
                            holders, holders == 1 ? "" : "s", holders == 1 ? "s" : ""));
  }
  auto subnet = window.subnet(len, candidate);
  if (!subnet) return fail(fmt::format("subnet {} of /{} in {}: out of range", candidate, len, cluster.str()));
  return SubnetChoice{*subnet, SubnetChoice::Source::fresh};
}

}  // namespace podnet::cluster
