#pragma once
// podnetd's subnet lease: a store lease (TTL --lease-ttl) under which the node claims its pod
// subnet, renewed every TTL/3 by the loop; when the store says it is gone, a new lease is
// taken for the same subnet if still free. The subnet is recorded in the state dir so a
// restart asks for it again. Reports to the loop what changed (a new lease, another subnet).
#include <cstdint>
#include <optional>
#include <string>

#include "agent_events.hpp"
#include "podnet/agent/metrics.hpp"
#include "podnet/agent/node_change.hpp"
#include "podnet/agent/options.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/store/store.hpp"
#include "store_health.hpp"

namespace podnet::agent {

class SubnetLease {
 public:
  SubnetLease(store::Store& s, const Options& o, cluster::ClusterConfig cfg, AgentEvents& events,
              StoreHealth& health);

  // Grants a lease and claims a subnet under it (`prefer`: the subnet held or recorded before).
  Result<> acquire(const net::IpAddress& node_ip, const std::optional<net::Prefix>& prefer);

  // One renewal tick (re-acquiring when no lease is held or the store says it is gone).
  struct Renewal {
    bool renewed = false;  // the lease was extended: the node entry's heartbeat may be due
    NodeChange change;     // lease (and subnet) when it had to be taken again
  };
  Renewal renew(const net::IpAddress& node_ip);

  bool held() const { return held_; }
  store::LeaseId id() const { return lease_; }
  // The subnet claimed last (kept while the lease is being re-acquired); only after acquire().
  const net::Prefix& subnet() const { return *subnet_; }
  void metrics(MetricsSnapshot& m) const;

 private:
  NodeChange reacquire(const net::IpAddress& node_ip);

  store::Store& store_;
  std::string node_, state_dir_;
  std::chrono::seconds ttl_;
  cluster::ClusterConfig cfg_;
  AgentEvents& events_;
  StoreHealth& health_;
  std::optional<net::Prefix> subnet_;
  store::LeaseId lease_ = 0;
  bool held_ = false;
  bool logged_ = false;
  bool renew_failing_ = false;
  uint64_t renewals_ = 0, renew_errors_ = 0, lost_ = 0;
};

}  // namespace podnet::agent
