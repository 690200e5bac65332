#pragma once
// Services in the cluster store, with their clusterIP and nodePort allocations (system layer:
// store I/O; the choices are cluster::ClusterIpPool / NodePortPool).
//
// Store layout (see docs/contracts.md "Services in the store"):
//   /podnet/services/<ns>/<name>   the Service (cluster::to_json), clusterIP and nodePorts filled
//   /podnet/serviceips/<ip>        "<ns>/<name>": the owner of a clusterIP
//   /podnet/nodeports/<port>       "<ns>/<name>": the owner of a nodePort (any protocol)
// An allocation key is written in the same store transaction as its Service, compared absent
// (created only if absent), and deleted in the same transaction that deletes the Service or
// drops the port. Two concurrent writers can therefore never both get a value: one transaction
// fails its comparison and that writer chooses again. Nothing leaks on a crash.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/store/store.hpp"

namespace podnet::svcstore {

inline constexpr std::string_view cluster_ip_prefix = "/podnet/serviceips/";
inline constexpr std::string_view node_port_prefix = "/podnet/nodeports/";
std::string cluster_ip_key(const net::IpAddress& ip);  // "/podnet/serviceips/10.96.0.10"
std::string node_port_key(uint16_t port);              // "/podnet/nodeports/30080"

// The cluster config at /podnet/config (defaults when the key is absent).
Result<cluster::ClusterConfig> read_config(store::Store& st);

struct StoredService {
  cluster::Service service;
  store::Revision mod_revision = 0;
};

enum class Action { created, updated, unchanged };
std::string_view to_string(Action a);  // "created", "configured", "unchanged" (kubectl's words)

struct Applied {
  cluster::Service service;  // as stored: clusterIP and nodePorts allocated
  Action action = Action::created;
};

struct BulkResult {
  std::vector<Applied> applied;  // in input order
  size_t created = 0, updated = 0, unchanged = 0;
  size_t transactions = 0;  // store transactions written
};

class ServiceStore {
 public:
  // `config` gives the service CIDR and nodePort range (read_config() or the lab's config).
  ServiceStore(store::Store& st, cluster::ClusterConfig config);

  // Unix seconds for metadata.creationTimestamp (tests set a fixed clock).
  void set_clock(std::function<int64_t()> now) { now_ = std::move(now); }

  // Creates a Service: validates it (object and config), allocates the clusterIP and the
  // nodePorts not given, refuses given ones that are taken or out of range. Errors are one
  // line: `service "default/web": spec.clusterIP: 10.96.0.10 is already allocated to
  // default/db`, `service "default/web": already exists`.
  Result<cluster::Service> create(cluster::Service s);
  // Replaces an existing Service in place: clusterIP kept (a different given one is refused:
  // immutable), nodePorts kept for ports that keep their protocol/port (or name), allocated for
  // new NodePort ports, released for dropped ports and on NodePort -> ClusterIP. creation time
  // kept. Error when absent: `service "default/web": not found`.
  Result<cluster::Service> update(cluster::Service s);
  // Create or update (kubectl apply), `unchanged` when the stored object is already that.
  Result<Applied> apply(cluster::Service s);
  // Deletes the Service and its allocations; false when it did not exist.
  Result<bool> remove(std::string_view ns, std::string_view name);

  Result<std::optional<StoredService>> get(std::string_view ns, std::string_view name);
  // Every Service ("" = all namespaces), sorted by namespace then name. Unparsable entries
  // are skipped (listed in *bad when given, one line each naming the key). *revision: the
  // store revision the listing reflects (a watch follows after it).
  Result<std::vector<cluster::Service>> list(std::string_view ns = "",
                                             std::vector<std::string>* bad = nullptr,
                                             store::Revision* revision = nullptr);

  // Applies many Services (create or update each, as apply()) with one store listing and
  // transactions of at most store.max_txn_ops() operations (sqlite: one transaction). All
  // are validated first: any invalid object fails the call before anything is written. A
  // batch that loses a race to a concurrent writer is chosen again and retried.
  Result<BulkResult> apply_many(std::vector<cluster::Service> services);
  // Deletes many (ns, name); returns how many existed.
  Result<size_t> remove_many(const std::vector<std::pair<std::string, std::string>>& names);

 private:
  store::Store& st_;
  cluster::ClusterConfig config_;
  std::function<int64_t()> now_;
};

}  // namespace podnet::svcstore
