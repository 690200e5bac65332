#include "service_proxy.hpp"

#include <ctime>

#include "podnet/agent/proxy_snapshot.hpp"
#include "podnet/cluster/endpoints.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

using namespace std::chrono_literals;

namespace {
constexpr auto kRetryEvery = 1s;

// "/podnet/services/<ns>/<name>" -> "<ns>"; "" when the key has no namespace part.
std::string ns_of(const std::string& key, std::string_view prefix) {
  std::string_view rest = std::string_view(key).substr(prefix.size());
  auto slash = rest.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(rest.substr(0, slash));
}

template <class T, class Parse>
Result<T> parse_object(const std::string& text, Parse parse, std::string_view what) {
  auto j = PODNET_TRY(parse_json_bounded(text, 64, 16 << 20, what));
  return parse(j);
}
}  // namespace

ServiceProxy::ServiceProxy(store::Store& s, std::string node, const cluster::ClusterConfig& cfg,
                           proxy::Proxier proxier, Periods periods)
    : node_(std::move(node)),
      proxier_(std::move(proxier)),
      services_mirror_(s, std::string(cluster::services_prefix),
                       [this](const std::string& k, const std::string* v) { on_service(k, v); }),
      pods_mirror_(s, std::string(cluster::pods_prefix),
                   [this](const std::string& k, const std::string* v) { on_pod(k, v); }) {
  snap_.node = {.cluster_cidr = cfg.clusterCIDR, .service_cidr = cfg.serviceCIDR};
  m_.enabled = true;
  periods_ = periods;
  next_verify_ = Clock::now() + periods_.verify;
  next_full_ = Clock::now() + periods_.full;
  // The first sync runs even with no services: rules left by an earlier run for services
  // deleted meanwhile must go.
  changed();
}

std::vector<int> ServiceProxy::fds() const {
  std::vector<int> out;
  for (int fd : {services_mirror_.fd(), pods_mirror_.fd()})
    if (fd >= 0) out.push_back(fd);
  return out;
}

void ServiceProxy::changed() {
  dirty_ = true;
  if (!pending_since_) pending_since_ = Clock::now();
}

void ServiceProxy::on_service(const std::string& key, const std::string* value) {
  changed();
  bad_services_.erase(key);
  if (!value) {
    services_.erase(key);
    stale_.erase(key);
    set_view(key, std::nullopt);
    return;
  }
  auto s = parse_object<cluster::Service>(
      *value, [](const nlohmann::json& j) { return cluster::service_from_json(j); }, key);
  if (!s) {
    // Never reaches the rules; the last good version of the object is dropped too, as a
    // Service the API would have refused does not exist.
    log::warn("ignoring service {}: {}", key, s.error().message);
    bad_services_.insert(key);
    services_.erase(key);
    stale_.erase(key);
    set_view(key, std::nullopt);
    return;
  }
  services_[key] = std::move(*s);
  stale_.insert(key);
}

void ServiceProxy::mark_selected(const std::string& ns, const cluster::Labels& labels) {
  for (auto& [key, svc] : services_)
    if (svc.ns == ns && cluster::selector_matches(svc.selector, labels)) stale_.insert(key);
}

void ServiceProxy::on_pod(const std::string& key, const std::string* value) {
  const std::string ns = ns_of(key, cluster::pods_prefix);
  auto& in_ns = pods_[ns];
  auto old = in_ns.find(key);
  bool was_bad = bad_pods_.erase(key) > 0;
  std::optional<cluster::Pod> pod;
  if (value) {
    auto p = parse_object<cluster::Pod>(
        *value, [](const nlohmann::json& j) { return cluster::pod_from_json(j); }, key);
    if (p)
      pod = std::move(*p);
    else {
      if (!was_bad) log::warn("ignoring pod {}: {}", key, p.error().message);
      bad_pods_.insert(key);
    }
  }
  // A pod matters to the services selecting it before and after the change. Heartbeat-only
  // rewrites that leave what endpoints depend on unchanged are common: skip them.
  if (old != in_ns.end() && pod && *pod == old->second) return;
  changed();
  if (old != in_ns.end()) {
    mark_selected(ns, old->second.labels);
    in_ns.erase(old);
  }
  if (pod) {
    mark_selected(ns, pod->labels);
    in_ns.emplace(key, std::move(*pod));
  }
  if (in_ns.empty()) pods_.erase(ns);
}

void ServiceProxy::set_view(const std::string& key, std::optional<proxy::Service> view) {
  auto it = slot_.find(key);
  if (it != slot_.end()) {
    const proxy::Service& old = snap_.services[it->second];
    ports_ -= old.ports.size();
    endpoints_ -= endpoint_count(old);
  }
  if (view) {
    if (it != slot_.end()) {
      // Recomputed but the same (a pod change that did not touch its endpoints): keep its
      // version, so the proxier skips it.
      view->version = snap_.services[it->second].version;
      if (*view == snap_.services[it->second]) {
        ports_ += view->ports.size();
        endpoints_ += endpoint_count(*view);
        return;
      }
    }
    view->version = ++versions_;
    ports_ += view->ports.size();
    endpoints_ += endpoint_count(*view);
    if (it != slot_.end()) {
      snap_.services[it->second] = std::move(*view);
    } else {
      slot_.emplace(key, snap_.services.size());
      slot_keys_.push_back(key);
      snap_.services.push_back(std::move(*view));
    }
    return;
  }
  if (it == slot_.end()) return;
  // The last one moves into the gap (the proxier matches services by name, not position).
  const size_t i = it->second, last = snap_.services.size() - 1;
  slot_.erase(it);
  if (i != last) {
    snap_.services[i] = std::move(snap_.services[last]);
    slot_keys_[i] = std::move(slot_keys_[last]);
    slot_[slot_keys_[i]] = i;
  }
  snap_.services.pop_back();
  slot_keys_.pop_back();
}

void ServiceProxy::recompute() {
  std::map<std::string, std::vector<cluster::Pod>> by_ns;  // built once per namespace touched
  for (const auto& key : stale_) {
    auto it = services_.find(key);
    if (it == services_.end()) continue;
    const cluster::Service& svc = it->second;
    auto [pit, fresh] = by_ns.try_emplace(svc.ns);
    if (fresh)
      if (auto p = pods_.find(svc.ns); p != pods_.end())
        for (const auto& [k, pod] : p->second) pit->second.push_back(pod);
    set_view(key, to_proxy_service(svc, cluster::compute_endpoints(svc, pit->second), node_));
  }
  stale_.clear();
}

void ServiceProxy::sync() {
  recompute();
  auto st = proxier_.sync(snap_);
  const auto now = Clock::now();
  if (!st) {
    ++m_.sync_errors;
    log::error("service rules: {} (full resync in {}s)", st.error().message, kRetryEvery.count());
    sync_error_ = st.error().message;
    retry_at_ = now + kRetryEvery;
    return;
  }
  (st->full ? m_.sync_full : m_.sync_partial).observe(st->seconds);
  if (pending_since_)
    m_.programming.observe(std::chrono::duration<double>(now - *pending_since_).count());
  pending_since_.reset();
  dirty_ = false;
  m_.services = ports_;
  m_.endpoints = endpoints_;
  m_.conntrack_deleted += st->conntrack_deleted;
  m_.invalid_objects = bad_services_.size() + bad_pods_.size();
  m_.last_sync_timestamp = double(::time(nullptr));
  if (st->full || st->changes > 0)
    log::info(
        "service rules synced ({}): {} services, {} ports, {} endpoints, {} changes, {} "
        "conntrack entries deleted, {:.1f} ms",
        st->full ? "full" : "partial", snap_.services.size(), ports_, endpoints_, st->changes,
        st->conntrack_deleted, st->seconds * 1000);
}

void ServiceProxy::step() {
  bool ok = true;
  for (auto* m : {&services_mirror_, &pods_mirror_})
    if (auto r = m->poll(); !r) {
      ok = false;
      if (!store_failing_)
        log::warn("service proxy: {}; keeping the rules as they are", r.error().message);
    }
  if (ok && store_failing_) log::info("service proxy: store reachable again");
  store_failing_ = !ok;
  // Until both prefixes were listed once the wanted state is unknown: programming half of it
  // would drop services that exist.
  if (!services_mirror_.synced() || !pods_mirror_.synced()) return;
  const auto now = Clock::now();
  check_table(now);
  if (!dirty_ || now < retry_at_) return;
  sync();
}

void ServiceProxy::check_table(Clock::time_point now) {
  if (now >= next_full_) {
    next_full_ = now + periods_.full;
    next_verify_ = now + periods_.verify;
    log::debug("service rules: periodic full resync");
    proxier_.resync_next();
    dirty_ = true;  // not a store change: no programming latency is observed for it
    return;
  }
  if (now < next_verify_ || dirty_) return;
  next_verify_ = now + periods_.verify;
  auto v = proxier_.verify();
  if (!v) {
    log::warn("service rules: cannot check the table: {}", v.error().message);
    return;
  }
  if (!*v) return;
  log::warn("service rules: {} (changed outside podnetd): full resync", **v);
  ++m_.repairs;
  proxier_.resync_next();
  dirty_ = true;
}

}  // namespace podnet::agent
