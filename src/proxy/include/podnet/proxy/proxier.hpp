#pragma once
// Applies Service snapshots to the kernel in the caller's network namespace: the podnet-owned
// nftables table `ip podnet-svc` (structure through libnftables, map elements as one binary
// libnftnl batch) and conntrack cleanup for UDP (libnetfilter_conntrack).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/proxy/model.hpp"

namespace podnet::proxy {

struct SyncStats {
  bool full = false;
  size_t services = 0, endpoints = 0, changes = 0;  // changes: elements/chains added or removed
  size_t conntrack_deleted = 0;
  double seconds = 0;
};

// What the kernel holds for one service (podnetctl inspect service).
struct ServiceInspection {
  std::vector<std::string> elements;  // "map: key : value" lines found in the kernel
  std::vector<std::string> missing;   // planned elements the kernel lacks
  std::vector<std::string> chains;    // chains (name + rules) the service uses
  std::vector<std::string>
      conntrack;  // conntrack entries whose original destination is the service
};

class Proxier {
 public:
  // Netlink sockets in the caller's network namespace.
  static Result<Proxier> open();
  Proxier(Proxier&&) noexcept;
  Proxier& operator=(Proxier&&) noexcept;
  ~Proxier();

  // First call and after any failure: full resync (stale chains/maps/elements removed); else only
  // the difference against the last applied snapshot.
  Result<SyncStats> sync(const Snapshot& wanted);
  // Makes the next sync() a full resync (podnetd: every --proxy-full-sync-period, and when
  // verify() found the table changed by someone else).
  void resync_next();
  // Cheap check (names of the table's chains and sets, no rules, no elements) that what the
  // last sync made is still there: the table, its base chains and its static maps and sets.
  // nullopt when it is (or nothing was synced yet); else what is missing, e.g. after
  // `nft flush ruleset` or `nft delete table ip podnet-svc`.
  Result<std::optional<std::string>> verify();
  // Deletes podnet's service table(s) (podnetd --leave). Missing table is not an error.
  Result<> remove_all();
  // Reads back only what the plan says belongs to `svc` (never the whole ruleset).
  Result<ServiceInspection> inspect(const NodeInfo& node, const Service& svc);

  struct State;  // implementation (sockets, applied state)

 private:
  explicit Proxier(std::unique_ptr<State> s);
  std::unique_ptr<State> st_;
};

}  // namespace podnet::proxy
