#pragma once
// The agent's store conversations: the cluster config, the subnet lease, the node entry.
#include <optional>
#include <string>

#include "podnet/agent/options.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/cluster/subnet_alloc.hpp"
#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::agent {

struct ConfigOutcome {
  cluster::ClusterConfig config;
  bool created = false;
  std::vector<std::string> conflicts;  // explicit flags the store overrides
};
// Reads /podnet/config, creating it from the flags when absent (create-if-absent: of agents
// starting together exactly one writes it, the others read the winner's). `invalid` is set
// when the error is a bad config (exit 2) rather than the store.
Result<ConfigOutcome> load_or_create_config(store::Store& s, const Options& o, bool& invalid);

struct Acquired {
  net::Prefix subnet;
  cluster::SubnetChoice::Source source = cluster::SubnetChoice::Source::fresh;
};
// Claims a subnet under `lease`: choose_subnet over the current leases, then create-if-absent
// (or compare-and-swap for a lease this node already holds under an older lease id); another
// node winning the same key makes it list and choose again.
Result<Acquired> acquire_subnet(store::Store& s, const cluster::ClusterConfig& c,
                                const std::string& node, const net::IpAddress& ip,
                                const std::optional<net::Prefix>& prefer, store::LeaseId lease);

}  // namespace podnet::agent
