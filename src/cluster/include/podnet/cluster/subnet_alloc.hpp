#pragma once
// Which pod subnet a node claims (flannel's model). Pure and deterministic: the same inputs
// give the same answer on every node, so racing nodes converge on the create-if-absent at
// /podnet/subnets/<cidr> and the loser simply recomputes with the winner's lease added.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

// Number of node subnets in the cluster CIDR (2^(nodeSubnetLen - clusterLen), saturating at
// UINT64_MAX). Subnet 0 counts: podnet, like flannel, skips none (see choose_subnet).
uint64_t subnet_count(const ClusterConfig& c);

struct SubnetChoice {
  enum class Source {
    held,      // a lease already held by this node (same name or same internalIP): renew it
    previous,  // the subnet this node recorded locally, still free: create its lease
    fresh,     // the lowest free subnet: create its lease
  };
  net::Prefix subnet;
  Source source = Source::fresh;
  friend bool operator==(const SubnetChoice&, const SubnetChoice&) = default;
};

// The subnet to claim, in this order:
//  1. a lease in `taken` held by this node: same node name first, else same internalIP
//     (flannel reuses by public IP, so a renamed host keeps its pods' addresses); the lowest
//     such lease if several; only leases of nodeSubnetLen inside the cluster CIDR count;
//  2. `previous` (recorded locally by the last run) if it is a nodeSubnetLen subnet of the
//     cluster CIDR that no lease in `taken` overlaps;
//  3. the lowest subnet of nodeSubnetLen no lease overlaps. Subnet 0 (192.168.0.0/24) is not
//     skipped: nothing in the design gives it a meaning (no network address in the cluster
//     CIDR is special to a node's bridge), flannel skips none by default, and skipping it
//     would waste one node's room on small cluster CIDRs.
// Error when none is free: "no free /24 left in 192.168.0.0/16 (256 nodes hold one)".
// Cost: O(t log t) for t leases plus a scan of at most t + 1 candidates. A lease of another
// length (left by a config change) blocks every node subnet it overlaps; leases outside the
// cluster CIDR or of the other family are ignored.
Result<SubnetChoice> choose_subnet(const ClusterConfig& c, std::span<const SubnetLease> taken,
                                   std::string_view self_name, const net::IpAddress& self_ip,
                                   const std::optional<net::Prefix>& previous = std::nullopt);

}  // namespace podnet::cluster
