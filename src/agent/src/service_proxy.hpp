#pragma once
// podnetd's service proxy part: follows /podnet/services/ and /podnet/pods/ with two store
// mirrors, keeps each Service's proxy view (recomputed only for what a change touched), and
// syncs the node's nftables service rules through proxy::Proxier. Changes that arrive while a
// sync runs are batched into the next one. A store outage leaves the rules as they are.
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "podnet/agent/metrics.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/proxy/proxier.hpp"
#include "podnet/store/store.hpp"
#include "prefix_mirror.hpp"

namespace podnet::agent {

class ServiceProxy {
 public:
  using Clock = std::chrono::steady_clock;
  // Repairing changes made to the table by someone else. Every `verify`, a cheap check that
  // the table, its base chains (with rules) and static maps are there (`nft flush ruleset`,
  // `nft delete table`, `nft flush table`), a full resync when not; every `full`, a full resync
  // whatever (elements deleted by hand), as kube-proxy's nftables mode does hourly.
  struct Periods {
    std::chrono::milliseconds verify{30'000}, full{3'600'000};
  };

  ServiceProxy(store::Store& s, std::string node, const cluster::ClusterConfig& cfg,
               proxy::Proxier proxier, Periods periods);

  // Takes what the store watches have and syncs the rules when something changed (or a
  // failed sync is due again). Call on every loop pass; cheap when nothing happened.
  void step();
  // fds that become readable when step() has news (the loop adds them to its epoll set).
  std::vector<int> fds() const;
  const ProxyMetrics& metrics() const { return m_; }
  // The last sync's error, once (for the node's events); nullopt when none since the last call.
  std::optional<std::string> take_sync_error() { return std::exchange(sync_error_, std::nullopt); }

 private:
  void on_service(const std::string& key, const std::string* value);
  void on_pod(const std::string& key, const std::string* value);
  void mark_selected(const std::string& ns, const cluster::Labels& labels);
  // Puts, replaces or (nullopt) removes the view of the Service at store key `key` in snap_.
  void set_view(const std::string& key, std::optional<proxy::Service> view);
  void recompute();
  void sync();
  void changed();
  void check_table(Clock::time_point now);

  std::string node_;
  proxy::Proxier proxier_;
  PrefixMirror services_mirror_, pods_mirror_;
  std::map<std::string, cluster::Service> services_;  // by store key
  // What to program: one view per Service that has a clusterIP, kept in place between syncs so
  // a change costs the Services it touched, not a copy of every one (10000 Services: most of a
  // partial sync's CPU went to copying and freeing the snapshot).
  proxy::Snapshot snap_;
  std::unordered_map<std::string, size_t> slot_;  // store key -> index in snap_.services
  std::vector<std::string> slot_keys_;            // index in snap_.services -> store key
  size_t ports_ = 0, endpoints_ = 0;              // over snap_
  uint64_t versions_ = 0;                         // the last proxy::Service::version given
  std::map<std::string, std::map<std::string, cluster::Pod>> pods_;  // ns -> key -> pod
  std::set<std::string> bad_services_, bad_pods_;                    // keys that do not parse
  std::set<std::string> stale_;  // service keys whose view must be recomputed
  bool dirty_ = false;
  std::optional<Clock::time_point> pending_since_;  // first change not yet in the kernel
  Clock::time_point retry_at_{};
  Periods periods_;
  Clock::time_point next_verify_{}, next_full_{};
  bool store_failing_ = false;
  std::optional<std::string> sync_error_;
  ProxyMetrics m_;
};

}  // namespace podnet::agent
