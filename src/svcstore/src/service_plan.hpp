#pragma once
// The writes of one Service create/update/delete, planned against what is known to be allocated
// (no I/O: service_store.cpp reads the store, plans, commits, and plans again on a lost race).
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "podnet/cluster/service_alloc.hpp"
#include "podnet/svcstore/service_store.hpp"

namespace podnet::svcstore::detail {

std::string owner_of(const cluster::Service& s);  // "<ns>/<name>"
// Fills what a hand-built Service may leave out: namespace, targetPort = port.
void normalize(cluster::Service& s);

// What the planner knows is allocated: pools for the choice, and the allocation keys read from
// the store (key -> its KeyValue: owner and mod_revision).
struct Known {
  cluster::ClusterIpPool ips;
  cluster::NodePortPool ports;
  std::unordered_map<std::string, store::KeyValue> keys;
  explicit Known(const cluster::ClusterConfig& c) : ips(c.serviceCIDR), ports(c.nodePortRange) {}
  void add(const store::KeyValue& kv);  // an allocation key from a listing or get
};

struct Plan {
  cluster::Service service;  // as it will be stored
  Action action = Action::created;
  std::vector<store::TxnCompare> compares;
  std::vector<store::TxnOp> ops;
};

// `cur`: the stored Service, if any. Errors are the object's own (no "service ..." prefix):
// "spec.ports[0].nodePort: 30080 is already allocated to default/db".
Result<Plan> plan_apply(cluster::Service want, const std::optional<StoredService>& cur,
                        Known& known, int64_t now, uint64_t salt);
// Deletes the Service key (compared at `cur`'s revision) and the allocation keys that `known`
// shows owned by it.
Plan plan_delete(const StoredService& cur, const Known& known);

}  // namespace podnet::svcstore::detail
