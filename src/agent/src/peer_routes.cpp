#include "peer_routes.hpp"

#include <algorithm>
#include <ctime>

#include "podnet/common/log.hpp"
#include "podnet/routes/manager.hpp"

namespace podnet::agent {

using namespace std::chrono_literals;

namespace {
constexpr auto kRetryEvery = 1s;  // after a failed reconcile

routes::Backend to_routes(cluster::BackendType b) {
  return b == cluster::BackendType::vxlan ? routes::Backend::vxlan : routes::Backend::host_gw;
}
}  // namespace

PeerRoutes::PeerRoutes(store::Store& s, sys::Netlink& nl, cluster::ClusterConfig cfg,
                       const std::string& node, AgentEvents& events, StoreHealth& health)
    : store_(s),
      nl_(nl),
      cfg_(std::move(cfg)),
      own_key_(cluster::node_key(node)),
      events_(events),
      health_(health) {}

bool PeerRoutes::relist() {
  watcher_.reset();
  auto l = store_.list(cluster::nodes_prefix);
  if (!l) {
    health_.failed(l.error(), "list nodes");
    return false;
  }
  health_.ok();
  nodes_.clear();
  for (auto& kv : l->items) nodes_.emplace(std::move(kv.key), parse_node_entry(kv.value));
  auto w = store_.watch(cluster::nodes_prefix, l->revision);
  if (!w) {
    health_.failed(w.error(), "watch nodes");
    return false;
  }
  watcher_ = std::move(*w);
  dirty_ = true;
  log::debug("listed {} node entries at revision {}", nodes_.size(), l->revision);
  return true;
}

PeerRoutes::WatchNews PeerRoutes::poll() {
  WatchNews news;
  if (!watcher_) {
    ++m_.watch_restarts;
    news.relist = true;
    return news;
  }
  auto r = watcher_->next(0ms);
  if (!r) {
    health_.failed(r.error(), "node watch");
    ++m_.watch_restarts;
    news.relist = true;
    return news;
  }
  health_.ok();
  if (r->compacted) {
    log::info("node watch fell behind compaction (revision {}): listing again",
              r->compact_revision);
    ++m_.watch_restarts;
    news.relist = true;
    return news;
  }
  for (auto& ev : r->events) {
    if (ev.type == store::Event::Type::put) {
      nodes_.insert_or_assign(ev.kv.key, parse_node_entry(ev.kv.value));
    } else {
      nodes_.erase(ev.kv.key);
      if (ev.kv.key == own_key_) news.own_entry_deleted = true;
    }
    dirty_ = true;
  }
  return news;
}

void PeerRoutes::reconcile(const routes::Self& me, bool force) {
  auto now = Clock::now();
  PeerSet ps = peers_from_nodes(nodes_, me, cfg_);
  auto news = skips_.update(ps);
  for (const auto& s : news.skipped) log::warn("skipping {}", s);
  for (const auto& s : news.refused) log::error("refusing {}", s);
  m_.nodes_skipped = ps.skipped.size();
  m_.peers_refused = ps.refused.size();
  dirty_ = false;
  if (!force && reconciled_ && same_peers(ps.peers, applied_)) return;

  auto w = routes::plan(me, ps.peers, to_routes(cfg_.backend.type),
                        {.vni = cfg_.backend.vni,
                         .port = cfg_.backend.port,
                         .direct_routing = cfg_.backend.directRouting});
  ++m_.reconciles;
  m_.reconcile_timestamp = double(::time(nullptr));
  if (!w) {
    ++m_.reconcile_errors;
    m_.reconcile_error = "route plan: " + w.error().message;
    log::error("{}", m_.reconcile_error);
    retry_at_ = now + kRetryEvery;
    return;
  }
  for (const auto& c : peer_changes(applied_, ps.peers, !reconciled_)) log::info("{}", c);
  routes::RouteManager rm(nl_);
  // What the apply changes, one line each (the first 20): "replace route ...".
  constexpr size_t kMaxLogged = 20;
  size_t changes = 0;
  auto t0 = Clock::now();
  auto st = rm.apply(*w, [&](const routes::Action& a) {
    if (changes++ < kMaxLogged) log::info("{}", a.str());
  });
  if (changes > kMaxLogged) log::info("... and {} more changes", changes - kMaxLogged);
  m_.reconcile_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  m_.reconcile_timestamp = double(::time(nullptr));
  if (!st) {
    ++m_.reconcile_errors;
    m_.reconcile_error = "reconcile: " + st.error().message;
    log::error("{}", m_.reconcile_error);
    dirty_ = true;
    retry_at_ = now + kRetryEvery;
    return;
  }
  m_.reconcile_error.clear();
  if (st->vtep_created)
    log::info("VTEP {} created (MAC {}, VNI {}, port {})", routes::vtep_name(cfg_.backend.vni),
              me.vtep_mac.str(), cfg_.backend.vni, cfg_.backend.port);
  if (st->actions() > 0)
    log::info("routes reconciled: {} added, {} replaced, {} removed ({} peers)", st->added,
              st->replaced, st->removed, ps.peers.size());
  events_.routes_applied(applied_, ps.peers);
  m_.route_changes += st->actions();
  m_.routes = w->routes.size();
  m_.fdb = w->fdb.size();
  m_.neighbours = w->neighs.size();
  m_.peers = ps.peers.size();
  m_.peers_direct = size_t(std::count_if(w->routes.begin(), w->routes.end(), [&](const auto& r) {
    return r.ifindex != 0 && r.ifindex == me.underlay_ifindex;
  }));
  applied_ = std::move(ps.peers);
  if (!reconciled_) log::info("first reconcile done: {} peers", applied_.size());
  reconciled_ = true;
}

void PeerRoutes::metrics(MetricsSnapshot& m) const {
  m.peers = m_.peers;
  m.peers_refused = m_.peers_refused;
  m.peers_direct = m_.peers_direct;
  m.nodes_skipped = m_.nodes_skipped;
  m.routes = m_.routes;
  m.fdb = m_.fdb;
  m.neighbours = m_.neighbours;
  m.reconcile_seconds = m_.reconcile_seconds;
  m.reconcile_timestamp = m_.reconcile_timestamp;
  m.reconcile_error = m_.reconcile_error;
  m.reconciles = m_.reconciles;
  m.reconcile_errors = m_.reconcile_errors;
  m.route_changes = m_.route_changes;
  m.watch_restarts = m_.watch_restarts;
}

}  // namespace podnet::agent
