#pragma once
// The node's egress masquerade as nftables text, in podnetd's own table (family ip/ip6, name
// "podnet"; the CNI plugin owns "inet podnet-cni"). Pure, no I/O.
#include <string>

#include "podnet/net/ip.hpp"

namespace podnet::agent {

inline constexpr const char* kMasqTable = "podnet";

// One batch that replaces the whole table atomically ("add table" so the "delete table" that
// follows never fails, then the table as wanted): pod traffic (saddr in pod_subnet) leaving
// the cluster CIDR is masqueraded; pod-to-pod (daddr in the cluster CIDR) and multicast keep
// their source.
std::string masq_ruleset(const net::Prefix& pod_subnet, const net::Prefix& cluster_cidr);
// Removes the table if present (for --leave).
std::string masq_delete(net::Family f);

}  // namespace podnet::agent
