// podnetd's daemon: the loop that composes the node's parts. Start-up in the contract's order,
// then one epoll loop over the node watch, the service proxy's watches, the renewal timer and
// the signals; timers for the full pass, the underlay re-read and retries. Everything runs on
// this one thread; the HTTP thread reads only what publish() hands the status board.
//
// The parts, each with one job (docs/contracts.md, podnetd's parts):
//   SubnetLease    the store lease and the pod subnet under it
//   PeerRoutes     node entries watched, routes/VTEP/FDB reconciled
//   NodeEntry      /podnet/nodes/<name> written under the lease
//   ConflistFile   the CNI conflist
//   Masquerade     the egress nftables table
//   UnderlayWatch  the underlay re-read while running
//   ServiceProxy   Services and pods watched, the service rules synced
//   StoreHealth, StatusBoard   store reachability; /readyz /metrics /status
// They tell the loop what changed (NodeChange); follow_ups() says what the loop redoes.
#include "podnet/agent/agent.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "agent_events.hpp"
#include "agent_lock.hpp"
#include "conflist_file.hpp"
#include "http_server.hpp"
#include "masquerade.hpp"
#include "node_entry.hpp"
#include "node_io.hpp"
#include "peer_routes.hpp"
#include "podnet/agent/loop_clock.hpp"
#include "podnet/agent/node_change.hpp"
#include "podnet/agent/readiness.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/sys/sysctl.hpp"
#include "service_proxy.hpp"
#include "status_board.hpp"
#include "store_health.hpp"
#include "store_ops.hpp"
#include "subnet_lease.hpp"
#include "underlay_watch.hpp"

namespace podnet::agent {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class Agent {
 public:
  explicit Agent(const Options& o)
      : o_(o),
        clock_(LoopPeriods{
            .resync = std::chrono::duration_cast<std::chrono::milliseconds>(o.resync_period)}) {}
  int run();

 private:
  int open();            // signals, lock, store, netlink, HTTP; -1: done, else the exit code
  int await_underlay();  // -1: read, else the exit code
  int startup();         // -1: started, else the exit code
  Result<> configure(int& exit_code);
  int loop();
  bool wait_or_signal(std::chrono::milliseconds d);  // true: a signal asked us to stop

  routes::Self self() const;
  void renew();
  void follow(const NodeChange& c);
  void full_pass();
  bool outputs_pending() const;
  void publish_node();
  void retry_pending();
  void relist_nodes();
  void step_service_proxy();
  void publish();
  void epoll_add(int fd);
  void epoll_del(int fd);

  Options o_;
  UniqueFd sfd_, tfd_, ep_;
  std::optional<AgentLock> lock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AgentEvents> events_;  // after store_: its thread stops before the store closes
  StoreHealth health_;
  StatusBoard board_;
  std::unique_ptr<HttpServer> http_;  // after board_: its thread stops before the board goes
  std::optional<sys::Netlink> nl_;
  LoopClock clock_;
  cluster::ClusterConfig cfg_;
  sys::Mac vtep_mac_;

  // The parts (the underlay once read, the others once the cluster config is known).
  std::unique_ptr<UnderlayWatch> underlay_;
  std::unique_ptr<SubnetLease> lease_;
  std::unique_ptr<PeerRoutes> routes_;
  std::unique_ptr<NodeEntry> entry_;
  std::unique_ptr<ConflistFile> conflist_;
  std::unique_ptr<Masquerade> masq_;
  std::unique_ptr<ServiceProxy> svc_;

  int routes_fd_ = -1;        // the node watch's fd in the epoll set
  std::vector<int> svc_fds_;  // the service proxy's fds in the epoll set
};

void Agent::epoll_add(int fd) {
  if (fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev);
}

void Agent::epoll_del(int fd) {
  if (fd >= 0) ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

routes::Self Agent::self() const {
  const Underlay& ul = underlay_->current();
  return routes::Self{.name = o_.node,
                      .internal_ip = ul.ip,
                      .pod_cidr = lease_->subnet(),
                      .underlay_ifindex = ul.ifindex,
                      .underlay_mtu = ul.mtu,
                      .underlay_addrs = ul.addrs,
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

// The cluster config (created from the flags when absent), then the parts that follow it. An
// error is the store's (retried) unless `exit_code` is set: a config podnetd cannot run with.
Result<> Agent::configure(int& exit_code) {
  bool invalid = false;
  auto c = load_or_create_config(*store_, o_, invalid);
  if (!c) {
    if (invalid) {
      log::error("{}", c.error().message);
      exit_code = 2;
    }
    return std::unexpected(c.error());
  }
  health_.ok();
  cfg_ = c->config;
  if (c->created)
    log::info("cluster config created: {}", cluster::to_json(cfg_).dump());
  else
    log::info("cluster config: {}", cluster::to_json(cfg_).dump());
  for (const auto& w : c->conflicts) log::warn("{}; using the store's", w);
  if (auto p = pod_gso_problem(o_, cfg_.backend.type)) {
    log::error("{}", *p);
    exit_code = 2;
    return fail(*p);
  }
  if (cfg_.backend.type == cluster::BackendType::vxlan) {
    auto mac = load_or_create_vtep_mac(o_.state_dir, o_.node);
    if (!mac) {
      log::error("VTEP MAC: {}", mac.error().message);
      exit_code = 1;
      return std::unexpected(mac.error());
    }
    vtep_mac_ = *mac;
  }
  lease_ = std::make_unique<SubnetLease>(*store_, o_, cfg_, *events_, health_);
  routes_ = std::make_unique<PeerRoutes>(*store_, *nl_, cfg_, o_.node, *events_, health_);
  entry_ = std::make_unique<NodeEntry>(*store_, o_.node, health_);
  conflist_ = std::make_unique<ConflistFile>(o_, cfg_);
  masq_ = std::make_unique<Masquerade>(cfg_.clusterCIDR);
  return {};
}

int Agent::startup() {
  const auto patience = std::max<std::chrono::seconds>(30s, 2 * o_.lease_ttl);
  const auto deadline = Clock::now() + patience;
  for (;;) {
    Result<> step;
    if (!lease_) {  // the config first: the parts follow from it
      int exit_code = -1;
      step = configure(exit_code);
      if (exit_code >= 0) return exit_code;
    }
    if (step && !lease_->held())
      step = lease_->acquire(underlay_->current().ip, load_subnet_state(o_.state_dir));
    if (step && !routes_->listed()) {
      relist_nodes();
      if (!routes_->listed()) step = fail("cannot list /podnet/nodes/");
    }
    if (step) {
      // Routes (and the VTEP) before the node entry: peers only learn of a node that works.
      full_pass();
      retry_pending();
      return -1;
    }
    health_.failed(step.error(), "start-up");
    if (Clock::now() > deadline) {
      log::error("giving up after {}s: {}", patience.count(), step.error().message);
      return 1;
    }
    if (wait_or_signal(1s)) return 0;
  }
}

void Agent::relist_nodes() {
  epoll_del(routes_fd_);  // before the watch it belongs to closes
  routes_fd_ = -1;
  routes_->relist();
  routes_fd_ = routes_->fd();
  epoll_add(routes_fd_);
}

void Agent::step_service_proxy() {
  if (!svc_) return;
  svc_->step();
  if (auto e = svc_->take_sync_error()) events_->proxy_sync_failed(*e);
  // Relists replace the watchers, and with them their fds. A new watcher can get the number
  // of the one it replaced (whose close took it out of the epoll set), so an unchanged list
  // of numbers does not mean registered: every fd is added again (EEXIST while it still is).
  auto fds = svc_->fds();
  for (int fd : svc_fds_)
    if (std::find(fds.begin(), fds.end(), fd) == fds.end()) epoll_del(fd);
  for (int fd : fds) epoll_add(fd);
  svc_fds_ = std::move(fds);
}

// Every route reconciled against the kernel, and the masquerade table marked for replacement
// (retry_pending() puts it back): repairs what was changed or deleted by hand. At start-up,
// every --resync-period, and after the subnet or the underlay changed.
void Agent::full_pass() {
  clock_.full_pass_done(Clock::now());
  routes_->reconcile(self(), true);
  masq_->stale();
}

void Agent::follow(const NodeChange& c) {
  FollowUps f = follow_ups(c);
  if (f.publish_node) entry_->stale();
  if (f.write_conflist) conflist_->stale();
  if (f.full_pass) full_pass();
  retry_pending();
}

bool Agent::outputs_pending() const {
  return !entry_->published() || !conflist_->written() || !masq_->in_place();
}

// The node outputs not in place yet, in the start-up order: the node entry (while the lease is
// held), the conflist, the masquerade table.
void Agent::retry_pending() {
  if (lease_->held() && !entry_->published()) publish_node();
  if (!conflist_->written())
    if (auto r = conflist_->write(lease_->subnet(), underlay_->current()); !r)
      log::error("conflist: {}", r.error().message);
  if (auto r = masq_->ensure(lease_->subnet()); !r) log::error("masquerade: {}", r.error().message);
}

void Agent::publish_node() {
  const Underlay& ul = underlay_->current();
  entry_->publish({.internal_ip = ul.ip,
                   .pod_cidr = lease_->subnet(),
                   .vtep_mac = cfg_.backend.type == cluster::BackendType::vxlan ? vtep_mac_.str()
                                                                                : std::string(),
                   .lease = lease_->id()});
}

void Agent::renew() {
  auto r = lease_->renew(underlay_->current().ip);
  if (r.change.any()) follow(r.change);
  if (r.renewed && entry_->due(Clock::now())) publish_node();  // the heartbeat
}

void Agent::publish() {
  MetricsSnapshot m;
  m.node = o_.node;
  health_.metrics(m);
  if (lease_) lease_->metrics(m);
  if (routes_) routes_->metrics(m);
  if (underlay_) underlay_->metrics(m);
  if (svc_) m.proxy = svc_->metrics();
  ReadyInputs in{.lease_held = lease_ && lease_->held(),
                 .conflist_written = conflist_ && conflist_->written(),
                 .reconciled = routes_ && routes_->reconciled(),
                 .last_store_ok = health_.last_ok(),
                 .now = Clock::now(),
                 .store_grace = o_.lease_ttl};
  if (events_) {
    Readiness r = readiness(in);
    events_->readiness(r.ready, r.reason);
  }
  board_.publish(in, std::move(m));
}

int Agent::open() {
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
        *o_.listen, [this](std::string_view m, std::string_view p) { return board_.handle(m, p); });
    if (!h) {
      log::error("{}", h.error().message);
      return 1;
    }
    http_ = std::move(*h);
    publish();
  }
  epoll_add(sfd_.get());
  epoll_add(tfd_.get());
  return -1;
}

// The underlay may come later than podnetd at boot (a link renamed or addressed by the
// network service): wait for it, not ready meanwhile, instead of exiting.
int Agent::await_underlay() {
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
  underlay_ = std::make_unique<UnderlayWatch>(*nl_, o_.iface, o_.ip, *ul);
  log::info("starting: node {} ip {} on {} (MTU {}), store {}", o_.node, ul->ip.str(), o_.iface,
            ul->mtu, store_->describe());
  // The node forwards between its pods, its VTEP and the underlay.
  if (auto r = sys::write_sysctl(
          ul->ip.is_v4() ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding", "1");
      !r)
    log::warn("enable forwarding: {}", r.error().message);
  return -1;
}

int Agent::run() {
  if (int rc = open(); rc >= 0) return rc;
  if (int rc = await_underlay(); rc >= 0) return rc;
  if (int rc = startup(); rc >= 0) return rc;
  log::info("ready: subnet {}, {} peers", lease_->subnet().str(), routes_->peers());
  if (auto p = proxy::Proxier::open(); p)
    svc_ = std::make_unique<ServiceProxy>(
        *store_, o_.node, cfg_, std::move(*p),
        ServiceProxy::Periods{.verify = o_.resync_period, .full = o_.proxy_full_sync_period});
  else  // routes and masquerade keep working; Services are not programmed on this node
    log::error("service proxy: {}", p.error().message);
  step_service_proxy();
  return loop();
}

int Agent::loop() {
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
    auto news = routes_->poll();
    if (news.relist) relist_nodes();
    if (news.own_entry_deleted && entry_->published()) {
      log::warn("own node entry {} was deleted: checking the lease", cluster::node_key(o_.node));
      entry_->stale();
      renew();
    }
    step_service_proxy();
    auto now = Clock::now();
    if (routes_->due(now)) routes_->reconcile(self(), false);
    if (clock_.underlay_due(now)) {
      clock_.underlay_read(now);
      if (auto c = underlay_->check(); c.any()) follow(c);
    }
    if (clock_.resync_due(now)) {
      full_pass();
      retry_pending();
    }
    if (clock_.retry_due(now, outputs_pending())) {
      clock_.retried(now);
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
