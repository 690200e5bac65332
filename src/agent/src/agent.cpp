// podnetd's daemon: start-up in the contract's order, then one epoll loop over the node watch,
// the renewal timer, the signals and the HTTP endpoint. Everything runs on this one thread.
#include "podnet/agent/agent.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "agent_events.hpp"
#include "agent_lock.hpp"
#include "http_server.hpp"
#include "node_io.hpp"
#include "podnet/agent/local_state.hpp"
#include "podnet/agent/masq_rules.hpp"
#include "podnet/agent/metrics.hpp"
#include "podnet/agent/peers.hpp"
#include "podnet/agent/readiness.hpp"
#include "podnet/agent/status.hpp"
#include "podnet/cluster/conflist.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/routes/manager.hpp"
#include "podnet/sys/sysctl.hpp"
#include "service_proxy.hpp"
#include "store_ops.hpp"

namespace podnet::agent {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kResyncEvery = 30s;     // full reconcile: repairs drift in the kernel
constexpr auto kHeartbeatEvery = 60s;  // node entry rewrite (status.heartbeat)
constexpr auto kRetryEvery = 1s;       // failed reconcile / publish / conflist / masq
constexpr auto kUnderlayEvery = 5s;    // re-read of the underlay (MTU, addresses, ifindex)

routes::Backend to_routes(cluster::BackendType b) {
  return b == cluster::BackendType::vxlan ? routes::Backend::vxlan : routes::Backend::host_gw;
}

class Agent {
 public:
  explicit Agent(const Options& o) : o_(o) {}
  int run();

 private:
  int startup();  // -1: started; else the exit code
  Result<> grant_and_acquire(const std::optional<net::Prefix>& prefer);
  void relist();
  void poll_watch();
  void reconcile(bool force);
  void renew();
  void reacquire();
  Result<> publish_node();
  Result<> write_conflist();
  Result<> apply_masq();
  void retry_pending();
  void check_underlay();
  bool wait_or_signal(std::chrono::milliseconds d);  // true: a signal asked us to stop
  void store_ok() {
    last_store_ok_ = Clock::now();
    m_.store_up = true;
  }
  void store_err(const Error& e, std::string_view what) {
    m_.store_up = false;
    ++m_.store_errors;
    log::warn("{}: {}", what, e.message);
  }
  ReadyInputs ready_inputs() const;
  void publish();  // hands the HTTP thread what /readyz and /metrics show
  HttpResponse handle(std::string_view method, std::string_view path);
  void watch_fd_changed(int old_fd);
  void start_service_proxy();
  void step_service_proxy();
  routes::Self self() const;
  std::string node_key() const { return cluster::node_key(o_.node); }

  Options o_;
  UniqueFd sfd_, tfd_, ep_;
  std::optional<AgentLock> lock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AgentEvents> events_;  // after store_: its thread stops before the store closes
  std::unique_ptr<HttpServer> http_;
  // What the HTTP thread may read: a copy published by the loop (publish()), under view_mu_.
  struct HttpView {
    ReadyInputs ready;
    MetricsSnapshot metrics;
  };
  std::mutex view_mu_;
  HttpView view_;
  std::optional<sys::Netlink> nl_;
  cluster::ClusterConfig cfg_;
  Underlay ul_;
  bool underlay_missing_ = false;
  Clock::time_point next_underlay_check_{};
  sys::Mac vtep_mac_;
  std::optional<net::Prefix> subnet_;
  store::LeaseId lease_ = 0;
  bool lease_held_ = false;
  bool lease_logged_ = false;
  bool renew_failing_ = false;

  NodeEntries nodes_;  // /podnet/nodes/<name> -> parsed when it arrived
  std::unique_ptr<store::Watcher> watcher_;
  int watch_fd_ = -1;
  bool dirty_ = true;
  bool reconciled_ = false;
  std::vector<routes::Peer> applied_peers_;
  std::set<std::string> last_skips_;
  Clock::time_point last_full_{}, next_reconcile_{}, last_heartbeat_{}, next_retry_{};

  bool node_published_ = false;
  bool conflist_written_ = false;
  std::string masq_applied_;
  Clock::time_point last_store_ok_{};
  MetricsSnapshot m_;

  std::unique_ptr<ServiceProxy> svc_;
  std::vector<int> svc_fds_;  // the service proxy's fds in the epoll set
};

routes::Self Agent::self() const {
  return routes::Self{.name = o_.node,
                      .internal_ip = ul_.ip,
                      .pod_cidr = *subnet_,
                      .underlay_ifindex = ul_.ifindex,
                      .underlay_mtu = ul_.mtu,
                      .underlay_addrs = ul_.addrs,
                      .vtep_mac = vtep_mac_};
}

bool Agent::wait_or_signal(std::chrono::milliseconds d) {
  // /healthz and /readyz keep answering (503 for readiness) while the store is retried.
  const auto end = Clock::now() + d;
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    publish();
    pollfd p[1] = {{sfd_.get(), POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now);
    if (::poll(p, 1, int(std::max<int64_t>(1, left.count()))) <= 0) continue;
    if (p[0].revents & POLLIN) {
      signalfd_siginfo si{};
      (void)!::read(sfd_.get(), &si, sizeof si);
      log::info("{} received during start-up: exiting", strsignal(int(si.ssi_signo)));
      return true;
    }
  }
  return false;
}

Result<> Agent::grant_and_acquire(const std::optional<net::Prefix>& prefer) {
  lease_held_ = false;
  lease_ = PODNET_TRY(store_->grant_lease(o_.lease_ttl));
  auto got = PODNET_TRY(acquire_subnet(*store_, cfg_, o_.node, ul_.ip, prefer, lease_));
  store_ok();
  lease_held_ = true;
  const char* how = got.source == cluster::SubnetChoice::Source::held       ? "kept (lease held)"
                    : got.source == cluster::SubnetChoice::Source::previous ? "kept (recorded)"
                                                                            : "leased";
  if (!lease_logged_) {
    log::info("subnet {} {}", got.subnet.str(), how);
    events_->lease_acquired(got.subnet, how);
  } else if (subnet_ && *subnet_ != got.subnet)
    log::warn("subnet changed from {} to {}", subnet_->str(), got.subnet.str());
  lease_logged_ = true;
  subnet_ = got.subnet;
  m_.subnet = subnet_->str();
  if (auto r = save_subnet_state(o_.state_dir, *subnet_); !r)
    log::warn("cannot record the subnet in {}: {}", o_.state_dir, r.error().message);
  return {};
}

int Agent::startup() {
  const auto patience = std::max<std::chrono::seconds>(30s, 2 * o_.lease_ttl);
  const auto deadline = Clock::now() + patience;
  bool have_config = false, have_lease = false, listed = false;
  for (;;) {
    Result<> step;
    if (!have_config) {
      bool invalid = false;
      auto c = load_or_create_config(*store_, o_, invalid);
      if (!c && invalid) {
        log::error("{}", c.error().message);
        return 2;
      }
      if (c) {
        store_ok();
        cfg_ = c->config;
        have_config = true;
        if (c->created)
          log::info("cluster config created: {}", cluster::to_json(cfg_).dump());
        else
          log::info("cluster config: {}", cluster::to_json(cfg_).dump());
        for (const auto& w : c->conflicts) log::warn("{}; using the store's", w);
        if (auto p = pod_gso_problem(o_, cfg_.backend.type)) {
          log::error("{}", *p);
          return 2;
        }
        if (cfg_.backend.type == cluster::BackendType::vxlan) {
          auto mac = load_or_create_vtep_mac(o_.state_dir, o_.node);
          if (!mac) {
            log::error("VTEP MAC: {}", mac.error().message);
            return 1;
          }
          vtep_mac_ = *mac;
        }
      } else {
        step = std::unexpected(c.error());
      }
    }
    if (step && !have_lease) {
      auto prev = load_subnet_state(o_.state_dir);
      if (prev) subnet_ = prev;
      step = grant_and_acquire(prev);
      have_lease = bool(step);
    }
    if (step && !listed) {
      relist();
      listed = watcher_ != nullptr;
      if (!listed) step = fail("cannot list /podnet/nodes/");
    }
    if (step) {
      // Routes (and the VTEP) before the node entry: peers only learn of a node that works.
      reconcile(true);
      if (auto r = publish_node(); !r) {
        store_err(r.error(), "publish node");
      }
      if (auto r = write_conflist(); !r) log::error("conflist: {}", r.error().message);
      if (auto r = apply_masq(); !r) log::error("masquerade: {}", r.error().message);
      return -1;
    }
    store_err(step.error(), "start-up");
    if (Clock::now() > deadline) {
      log::error("giving up after {}s: {}", patience.count(), step.error().message);
      return 1;
    }
    if (wait_or_signal(1s)) return 0;
  }
}

void Agent::watch_fd_changed(int old_fd) {
  if (old_fd >= 0) ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, old_fd, nullptr);
  watch_fd_ = watcher_ ? watcher_->fd() : -1;
  if (watch_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = watch_fd_;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, watch_fd_, &ev);
  }
}

void Agent::relist() {
  int old = watch_fd_;
  if (watcher_) {
    ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, old, nullptr);
    watcher_.reset();
    watch_fd_ = old = -1;
  }
  auto l = store_->list(cluster::nodes_prefix);
  if (!l) {
    store_err(l.error(), "list nodes");
    return;
  }
  store_ok();
  nodes_.clear();
  for (auto& kv : l->items) nodes_.emplace(std::move(kv.key), parse_node_entry(kv.value));
  auto w = store_->watch(cluster::nodes_prefix, l->revision);
  if (!w) {
    store_err(w.error(), "watch nodes");
    return;
  }
  watcher_ = std::move(*w);
  watch_fd_changed(old);
  dirty_ = true;
  log::debug("listed {} node entries at revision {}", nodes_.size(), l->revision);
}

void Agent::poll_watch() {
  if (!watcher_) {
    ++m_.watch_restarts;
    relist();
    return;
  }
  auto r = watcher_->next(0ms);
  if (!r) {
    store_err(r.error(), "node watch");
    ++m_.watch_restarts;
    relist();
    return;
  }
  store_ok();
  if (r->compacted) {
    log::info("node watch fell behind compaction (revision {}): listing again",
              r->compact_revision);
    ++m_.watch_restarts;
    relist();
    return;
  }
  const std::string own = node_key();
  for (auto& ev : r->events) {
    if (ev.type == store::Event::Type::put) {
      nodes_.insert_or_assign(ev.kv.key, parse_node_entry(ev.kv.value));
    } else {
      nodes_.erase(ev.kv.key);
      if (ev.kv.key == own && node_published_) {
        log::warn("own node entry {} was deleted: checking the lease", own);
        node_published_ = false;
        renew();
      }
    }
    dirty_ = true;
  }
}

void Agent::reconcile(bool force) {
  auto now = Clock::now();
  if (!force && now < next_reconcile_) return;
  routes::Self me = self();
  PeerSet ps = peers_from_nodes(nodes_, me, cfg_);
  std::set<std::string> skips(ps.skipped.begin(), ps.skipped.end());
  skips.insert(ps.refused.begin(), ps.refused.end());
  if (skips != last_skips_) {
    for (const auto& s : ps.skipped)
      if (!last_skips_.contains(s)) log::warn("skipping {}", s);
    for (const auto& s : ps.refused)
      if (!last_skips_.contains(s)) log::error("refusing {}", s);
    last_skips_ = std::move(skips);
  }
  m_.nodes_skipped = ps.skipped.size();
  m_.peers_refused = ps.refused.size();
  dirty_ = false;
  bool same = reconciled_ && ps.peers.size() == applied_peers_.size() &&
              std::equal(ps.peers.begin(), ps.peers.end(), applied_peers_.begin(), same_peer);
  if (same && !force) return;

  auto w = routes::plan(me, ps.peers, to_routes(cfg_.backend.type),
                        {.vni = cfg_.backend.vni,
                         .port = cfg_.backend.port,
                         .direct_routing = cfg_.backend.directRouting});
  ++m_.reconciles;
  last_full_ = now;
  m_.reconcile_timestamp = double(::time(nullptr));
  if (!w) {
    ++m_.reconcile_errors;
    m_.reconcile_error = "route plan: " + w.error().message;
    log::error("{}", m_.reconcile_error);
    next_reconcile_ = now + kRetryEvery;
    return;
  }
  for (const auto& c : peer_changes(applied_peers_, ps.peers, !reconciled_)) log::info("{}", c);
  routes::RouteManager rm(*nl_);
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
    next_reconcile_ = now + kRetryEvery;
    return;
  }
  m_.reconcile_error.clear();
  if (st->vtep_created)
    log::info("VTEP {} created (MAC {}, VNI {}, port {})", routes::vtep_name(cfg_.backend.vni),
              vtep_mac_.str(), cfg_.backend.vni, cfg_.backend.port);
  if (st->actions() > 0)
    log::info("routes reconciled: {} added, {} replaced, {} removed ({} peers)", st->added,
              st->replaced, st->removed, ps.peers.size());
  events_->routes_applied(applied_peers_, ps.peers);
  m_.route_changes += st->actions();
  m_.routes = w->routes.size();
  m_.fdb = w->fdb.size();
  m_.neighbours = w->neighs.size();
  m_.peers = ps.peers.size();
  m_.peers_direct = size_t(std::count_if(w->routes.begin(), w->routes.end(), [&](const auto& r) {
    return r.ifindex != 0 && r.ifindex == ul_.ifindex;
  }));
  applied_peers_ = std::move(ps.peers);
  if (!reconciled_) log::info("first reconcile done: {} peers", applied_peers_.size());
  reconciled_ = true;
}

void Agent::start_service_proxy() {
  auto p = proxy::Proxier::open();
  if (!p) {
    // Routes and masquerade keep working; Services are not programmed on this node.
    log::error("service proxy: {}", p.error().message);
    return;
  }
  svc_ = std::make_unique<ServiceProxy>(*store_, o_.node, cfg_, std::move(*p));
}

void Agent::step_service_proxy() {
  if (!svc_) return;
  svc_->step();
  if (auto e = svc_->take_sync_error()) events_->proxy_sync_failed(*e);
  // Relists replace the watchers, and with them their fds.
  auto fds = svc_->fds();
  if (fds == svc_fds_) return;
  for (int fd : svc_fds_) ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  for (int fd : fds) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  svc_fds_ = std::move(fds);
}

Result<> Agent::publish_node() {
  cluster::Node n{
      .name = o_.node,
      .internalIP = ul_.ip,
      .podCIDR = *subnet_,
      .vtepMAC = cfg_.backend.type == cluster::BackendType::vxlan ? vtep_mac_.str() : std::string(),
      .heartbeat = int64_t(::time(nullptr))};
  PODNET_TRY(store_->put(node_key(), cluster::to_json(n).dump(), lease_));
  store_ok();
  if (!node_published_)
    log::info("node entry {} published ({} via {})", node_key(), subnet_->str(), ul_.ip.str());
  node_published_ = true;
  last_heartbeat_ = Clock::now();
  return {};
}

Result<> Agent::write_conflist() {
  auto j = PODNET_TRY(cluster::make_conflist(cfg_, *subnet_, o_.mode, int(ul_.mtu), ul_.ip.family(),
                                             o_.ipam_data_dir, o_.pod_gso_max_size));
  std::string path = o_.cni_conf_dir + "/" + std::string(kConflistName);
  bool wrote = PODNET_TRY(write_if_changed(path, j.dump(2) + "\n"));
  if (wrote)
    log::info(
        "conflist {} written (subnet {}, {} mode, MTU {}{})", path, subnet_->str(),
        o_.mode == cluster::PodMode::bridge ? "bridge" : "ptp", j["plugins"][0].value("mtu", 0),
        j["plugins"][0]["ipam"].contains("routes")
            ? fmt::format(", {} off the node", j["plugins"][0]["ipam"]["routes"][0].value("mtu", 0))
            : "");
  conflist_written_ = true;
  return {};
}

Result<> Agent::apply_masq() {
  std::string text = masq_ruleset(*subnet_, cfg_.clusterCIDR);
  if (text == masq_applied_) return {};
  PODNET_TRY_VOID(run_nft(text));
  masq_applied_ = std::move(text);
  log::info("masquerade applied: {} to outside {} leaves from the node address", subnet_->str(),
            cfg_.clusterCIDR.str());
  return {};
}

void Agent::renew() {
  if (!lease_held_) {
    reacquire();
    return;
  }
  auto k = store_->keep_alive(lease_);
  if (!k) {
    ++m_.lease_renew_errors;
    renew_failing_ = true;
    store_err(k.error(), "lease renewal (will retry)");
    return;
  }
  store_ok();
  if (k->count() == 0) {
    log::warn("lease {:x} for {} is gone (expired or revoked)", lease_, subnet_->str());
    events_->lease_lost(
        fmt::format("Lease for subnet {} is gone (expired or revoked)", subnet_->str()));
    ++m_.lease_lost;
    lease_held_ = false;
    reacquire();
    return;
  }
  ++m_.lease_renewals;
  if (renew_failing_) {
    log::info("lease renewed ({}s): store reachable again", k->count());
    events_->lease_renewed_after_failure();
  } else
    log::debug("lease renewed ({}s)", k->count());
  renew_failing_ = false;
  if (!node_published_ || Clock::now() - last_heartbeat_ >= kHeartbeatEvery) {
    if (auto r = publish_node(); !r) store_err(r.error(), "publish node");
  }
}

void Agent::reacquire() {
  net::Prefix before = *subnet_;
  if (auto r = grant_and_acquire(before); !r) {
    store_err(r.error(), "re-acquire lease");
    return;
  }
  const std::string what = *subnet_ == before
                               ? fmt::format("lease lost, re-acquired {}", subnet_->str())
                               : fmt::format("lease lost, re-acquired {} (was {}: taken meanwhile)",
                                             subnet_->str(), before.str());
  log::warn("{}", what);
  events_->lease_lost("Subnet " + what);
  node_published_ = false;
  if (*subnet_ != before) {
    conflist_written_ = false;
    reconcile(true);
  }
  retry_pending();
}

// The underlay can change under a running node: MTU (jumbo frames), addresses (DHCP, an
// operator), the interface itself (re-created). Everything derived from it follows: the VTEP
// (MTU, local address, lower device), host-gw on-link checks, the node entry peers route to,
// and the conflist for pods created from now on (running pods keep their MTU, as after a
// flannel restart). A missing interface keeps the last state: its routes went with it.
void Agent::check_underlay() {
  next_underlay_check_ = Clock::now() + kUnderlayEvery;
  auto now = read_underlay(*nl_, o_.iface, o_.ip);
  if (!now) {
    if (!underlay_missing_)
      log::warn("underlay: {}; keeping the last known one until it is back", now.error().message);
    underlay_missing_ = true;
    return;
  }
  if (underlay_missing_) log::info("underlay {} is back", o_.iface);
  underlay_missing_ = false;
  std::string change = underlay_change(ul_, *now);
  if (change.empty()) return;
  log::info("underlay {} changed: {}; updating routes{}{}", o_.iface, change,
            now->ip != ul_.ip ? ", the node entry" : "",
            now->mtu != ul_.mtu ? " and the conflist" : "");
  if (now->ip != ul_.ip) node_published_ = false;
  if (now->mtu != ul_.mtu) conflist_written_ = false;
  ul_ = *now;
  ++m_.underlay_changes;
  reconcile(true);
  retry_pending();
}

void Agent::retry_pending() {
  if (lease_held_ && !node_published_)
    if (auto r = publish_node(); !r) store_err(r.error(), "publish node");
  if (!conflist_written_)
    if (auto r = write_conflist(); !r) log::error("conflist: {}", r.error().message);
  if (auto r = apply_masq(); !r) log::error("masquerade: {}", r.error().message);
}

ReadyInputs Agent::ready_inputs() const {
  return ReadyInputs{.lease_held = lease_held_,
                    .conflist_written = conflist_written_,
                    .reconciled = reconciled_,
                    .last_store_ok = last_store_ok_,
                    .now = Clock::now(),
                    .store_grace = o_.lease_ttl};
}

void Agent::publish() {
  HttpView v{ready_inputs(), m_};
  v.metrics.node = o_.node;
  v.metrics.lease_held = lease_held_;
  v.metrics.underlay_mtu = ul_.mtu;
  if (svc_) v.metrics.proxy = svc_->metrics();
  if (events_) {
    Readiness r = readiness(v.ready);
    events_->readiness(r.ready, r.reason);
  }
  std::lock_guard lk(view_mu_);
  view_ = std::move(v);
}

// On the HTTP thread: reads only the published view.
HttpResponse Agent::handle(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "method not allowed\n"};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path != "/readyz" && path != "/metrics" && path != "/status")
    return {404, "text/plain", "not found\n"};
  HttpView v;
  {
    std::lock_guard lk(view_mu_);
    v = view_;
  }
  v.ready.now = Clock::now();
  Readiness r = readiness(v.ready);
  if (path == "/readyz") return {r.ready ? 200 : 503, "text/plain; charset=utf-8", r.reason + "\n"};
  if (path == "/status")
    return {200, "application/json",
            render_status(v.metrics, r, double(::time(nullptr))).dump(2) + "\n"};
  v.metrics.ready = r.ready;
  return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(v.metrics)};
}

int Agent::run() {
  // Signals arrive through a signalfd; block them before any thread exists (the etcd watch
  // stream has one) so none of them takes the default action.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  sfd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  tfd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  ep_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!sfd_ || !tfd_ || !ep_) {
    log::error("signalfd/timerfd/epoll: {}", std::strerror(errno));
    return 1;
  }
  auto lock = AgentLock::acquire(o_.state_dir);
  if (!lock) {
    log::error("{}", lock.error().message);
    return 1;
  }
  lock_.emplace(std::move(*lock));
  auto st = store::open_store(o_.store_url);
  if (!st) {
    log::error("--store: {}", st.error().message);
    return 2;
  }
  store_ = std::move(*st);
  events_ = std::make_unique<AgentEvents>(*store_, o_.node);
  auto nl = sys::Netlink::open();
  if (!nl) {
    log::error("netlink: {}", nl.error().message);
    return 1;
  }
  nl_.emplace(std::move(*nl));
  if (o_.listen) {
    auto h = HttpServer::start(
        *o_.listen, [this](std::string_view m, std::string_view p) { return handle(m, p); });
    if (!h) {
      log::error("{}", h.error().message);
      return 1;
    }
    http_ = std::move(*h);
    publish();
  }
  auto add = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  add(sfd_.get());
  add(tfd_.get());

  // The underlay may come later than podnetd at boot (a link renamed or addressed by the
  // network service): wait for it, not ready meanwhile, instead of exiting.
  auto ul = read_underlay(*nl_, o_.iface, o_.ip);
  std::string last_reason;
  for (auto last_log = Clock::time_point{}; !ul && underlay_pending(ul.error());
       ul = read_underlay(*nl_, o_.iface, o_.ip)) {
    // Repeated every 30 s, and at once when the reason changes (the link came, no address yet).
    if (Clock::now() - last_log >= 30s || ul.error().message != last_reason) {
      log::warn("waiting for the underlay: {}", ul.error().message);
      last_log = Clock::now();
      last_reason = ul.error().message;
    }
    if (wait_or_signal(500ms)) return 0;
  }
  if (!ul) {
    log::error("{}", ul.error().message);
    return ul.error().message.starts_with("--ip:") ? 2 : 1;
  }
  ul_ = *ul;
  log::info("starting: node {} ip {} on {} (MTU {}), store {}", o_.node, ul_.ip.str(), o_.iface,
            ul_.mtu, store_->describe());
  // The node forwards between its pods, its VTEP and the underlay.
  if (auto r = sys::write_sysctl(
          ul_.ip.is_v4() ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding", "1");
      !r)
    log::warn("enable forwarding: {}", r.error().message);

  if (int rc = startup(); rc >= 0) return rc;
  log::info("ready: subnet {}, {} peers", subnet_->str(), applied_peers_.size());
  start_service_proxy();
  step_service_proxy();

  auto renew_every = std::chrono::duration_cast<std::chrono::nanoseconds>(o_.lease_ttl) / 3;
  itimerspec its{};
  its.it_value.tv_sec = renew_every.count() / 1000000000;
  its.it_value.tv_nsec = renew_every.count() % 1000000000;
  its.it_interval = its.it_value;
  ::timerfd_settime(tfd_.get(), 0, &its, nullptr);

  epoll_event evs[8];
  for (;;) {
    // At most a second between watcher polls: the sqlite backend reaps expired leases there.
    int n = ::epoll_wait(ep_.get(), evs, 8, 1000);
    if (n < 0 && errno != EINTR) {
      log::error("epoll_wait: {}", std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == sfd_.get()) {
        signalfd_siginfo si{};
        (void)!::read(sfd_.get(), &si, sizeof si);
        log::info("{}: exiting; routes, conflist and the lease (until its TTL) stay",
                  strsignal(int(si.ssi_signo)));
        return 0;
      } else if (fd == tfd_.get()) {
        uint64_t ticks = 0;
        (void)!::read(tfd_.get(), &ticks, sizeof ticks);
        renew();
      }
    }
    poll_watch();
    step_service_proxy();
    auto now = Clock::now();
    if (dirty_) reconcile(false);
    if (now >= next_underlay_check_) check_underlay();
    if (now - last_full_ >= kResyncEvery) reconcile(true);
    if (now >= next_retry_ && (!node_published_ || !conflist_written_ || masq_applied_.empty())) {
      next_retry_ = now + kRetryEvery;
      retry_pending();
    }
    publish();
  }
}

}  // namespace

int run_agent(const Options& o) {
  Agent a(o);
  return a.run();
}

}  // namespace podnet::agent
