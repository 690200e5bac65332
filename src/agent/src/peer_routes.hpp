#pragma once
// podnetd's routes to its peers: follows /podnet/nodes/ (list, then watch from the listing's
// revision; a watch error or compaction lists again) and reconciles the kernel (VTEP, routes,
// neighbours, FDB entries) with the peers the entries describe. A reconcile after watch news
// applies only when the peers changed; a forced one (the loop's full pass) always reads the
// kernel and repairs it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent_events.hpp"
#include "podnet/agent/metrics.hpp"
#include "podnet/agent/peers.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/routes/plan.hpp"
#include "podnet/store/store.hpp"
#include "podnet/sys/netlink.hpp"
#include "store_health.hpp"

namespace podnet::agent {

class PeerRoutes {
 public:
  using Clock = std::chrono::steady_clock;

  PeerRoutes(store::Store& s, sys::Netlink& nl, cluster::ClusterConfig cfg, const std::string& node,
             AgentEvents& events, StoreHealth& health);

  // Lists the node entries and watches from there (dropping the old watch first: the loop takes
  // its fd out of the epoll set before, and puts fd() in after). False when the store failed.
  bool relist();
  bool listed() const { return watcher_ != nullptr; }
  int fd() const { return watcher_ ? watcher_->fd() : -1; }

  struct WatchNews {
    bool relist = false;             // the watch broke or fell behind compaction: call relist()
    bool own_entry_deleted = false;  // this node's entry was deleted by someone
  };
  // Takes what the watch has (never waits).
  WatchNews poll();

  // Entries changed since the last reconcile and no failed one is waiting for its retry.
  bool due(Clock::time_point now) const { return dirty_ && now >= retry_at_; }
  void reconcile(const routes::Self& me, bool force);
  bool reconciled() const { return reconciled_; }
  size_t peers() const { return applied_.size(); }
  void metrics(MetricsSnapshot& m) const;

 private:
  store::Store& store_;
  sys::Netlink& nl_;
  cluster::ClusterConfig cfg_;
  std::string own_key_;
  AgentEvents& events_;
  StoreHealth& health_;

  NodeEntries nodes_;  // /podnet/nodes/<name> -> parsed when it arrived
  std::unique_ptr<store::Watcher> watcher_;
  bool dirty_ = true;
  bool reconciled_ = false;
  std::vector<routes::Peer> applied_;
  SkipLog skips_;
  Clock::time_point retry_at_{};

  // Figures for /metrics (the MetricsSnapshot fields of the same names).
  struct Figures {
    uint64_t peers = 0, peers_refused = 0, peers_direct = 0, nodes_skipped = 0;
    uint64_t routes = 0, fdb = 0, neighbours = 0;
    double reconcile_seconds = 0, reconcile_timestamp = 0;
    std::string reconcile_error;
    uint64_t reconciles = 0, reconcile_errors = 0, route_changes = 0, watch_restarts = 0;
  } m_;
};

}  // namespace podnet::agent
