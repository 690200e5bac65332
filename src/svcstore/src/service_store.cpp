#include "podnet/svcstore/service_store.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "service_plan.hpp"

namespace podnet::svcstore {

using cluster::Service;
using detail::Known;
using detail::Plan;

namespace {

// Lost races are retried with a fresh read; each retry salts the choice differently.
constexpr int kAttempts = 8;

Error in_service(std::string_view ns, std::string_view name, const Error& e) {
  Error out = e;
  out.message = fmt::format("service \"{}/{}\": {}", ns, name, e.message);
  return out;
}

Result<std::optional<StoredService>> parse_stored(const store::KeyValue& kv) {
  auto j = nlohmann::json::parse(kv.value, nullptr, false);
  if (j.is_discarded()) return fail(fmt::format("{}: not JSON", kv.key));
  auto s = cluster::service_from_json(j);
  if (!s) return fail(fmt::format("{}: {}", kv.key, s.error().message));
  return std::optional<StoredService>(StoredService{std::move(*s), kv.mod_revision});
}

store::Txn txn_of(const Plan& p) {
  return store::Txn{p.compares, p.ops};
}

// Appends a plan's compares and ops to a transaction (moved: a plan is committed once; a lost
// one is planned again).
void move_into(store::Txn& txn, Plan& p) {
  for (auto& c : p.compares) txn.compares.push_back(std::move(c));
  for (auto& o : p.ops) txn.ops.push_back(std::move(o));
  p.compares.clear();
  p.ops.clear();
}

}  // namespace

Result<cluster::ClusterConfig> read_config(store::Store& st) {
  auto kv = PODNET_TRY(st.get(cluster::config_key));
  if (!kv) return cluster::ClusterConfig{};
  auto c = cluster::parse_config(kv->value);
  if (!c) return fail(c.error().context(std::string(cluster::config_key)));
  return *c;
}

ServiceStore::ServiceStore(store::Store& st, cluster::ClusterConfig config)
    : st_(st), config_(std::move(config)), now_([] { return int64_t(::time(nullptr)); }) {}

Result<std::optional<StoredService>> ServiceStore::get(std::string_view ns, std::string_view name) {
  auto kv = PODNET_TRY(st_.get(cluster::service_key(ns, name)));
  if (!kv) return std::optional<StoredService>{};
  return parse_stored(*kv);
}

Result<std::vector<Service>> ServiceStore::list(std::string_view ns,
                                                std::vector<std::string>* bad,
                                                store::Revision* revision) {
  std::string prefix(cluster::services_prefix);
  if (!ns.empty()) prefix += fmt::format("{}/", ns);
  auto l = PODNET_TRY(st_.list(prefix));
  if (revision) *revision = l.revision;
  std::vector<Service> out;
  out.reserve(l.items.size());
  for (const auto& kv : l.items) {
    auto s = parse_stored(kv);
    if (!s) {
      if (bad) bad->push_back(s.error().message);
      continue;
    }
    out.push_back(std::move((*s)->service));
  }
  std::sort(out.begin(), out.end(), [](const Service& a, const Service& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  return out;
}

namespace {

enum class Mode { create, update, apply };

}  // namespace

// One Service: read, plan, commit; on a lost race read everything and plan again.
static Result<Applied> write_one(store::Store& st, const cluster::ClusterConfig& config,
                                 Service want, Mode mode, int64_t now) {
  detail::normalize(want);
  auto err = [&](const Error& e) { return std::unexpected(in_service(want.ns, want.name, e)); };
  if (auto v = cluster::validate_service(want, config); !v) return err(v.error());
  const std::string skey = cluster::service_key(want.ns, want.name);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto kv = st.get(skey);
    if (!kv) return err(kv.error());
    std::optional<StoredService> cur;
    if (*kv) {
      auto p = parse_stored(**kv);
      // An unparsable stored object is replaced (compared at its revision), not kept.
      cur = p ? *p : std::optional<StoredService>{};
      if (!p && mode == Mode::create) return err(Error::msg("already exists"));
    }
    if (mode == Mode::create && *kv) return err(Error::msg("already exists"));
    if (mode == Mode::update && !*kv) return err(Error::msg("not found"));
    Known known(config);
    // NodePorts are few (the range is 2768 by default): always read them. ClusterIPs may be
    // tens of thousands: the first try only reads the ones this write names, a retry reads all.
    auto ports = st.list(node_port_prefix);
    if (!ports) return err(ports.error());
    for (const auto& a : ports->items) known.add(a);
    if (attempt > 0) {
      auto ips = st.list(cluster_ip_prefix);
      if (!ips) return err(ips.error());
      for (const auto& a : ips->items) known.add(a);
    } else {
      for (const auto* ip : {want.clusterIP ? &*want.clusterIP : nullptr,
                             cur && cur->service.clusterIP ? &*cur->service.clusterIP : nullptr}) {
        if (!ip) continue;
        auto a = st.get(cluster_ip_key(*ip));
        if (!a) return err(a.error());
        if (*a) known.add(**a);
      }
    }
    auto plan = detail::plan_apply(want, cur, known, now, uint64_t(attempt));
    if (!plan) return err(plan.error());
    if (plan->action == Action::unchanged) return Applied{std::move(plan->service), plan->action};
    if (*kv && !cur) plan->compares.front().mod_revision = (*kv)->mod_revision;
    auto r = st.commit(txn_of(*plan));
    if (!r) return err(r.error());
    if (r->succeeded) return Applied{std::move(plan->service), plan->action};
    // Lost a race (the Service or a chosen value changed under us): read again and re-plan.
    // A given value taken meanwhile is refused by plan_apply on the next pass.
  }
  return err(Error::msg(fmt::format("gave up after {} conflicting concurrent writes", kAttempts)));
}

Result<Service> ServiceStore::create(Service s) {
  return PODNET_TRY(write_one(st_, config_, std::move(s), Mode::create, now_())).service;
}

Result<Service> ServiceStore::update(Service s) {
  return PODNET_TRY(write_one(st_, config_, std::move(s), Mode::update, now_())).service;
}

Result<Applied> ServiceStore::apply(Service s) {
  return write_one(st_, config_, std::move(s), Mode::apply, now_());
}

Result<bool> ServiceStore::remove(std::string_view ns, std::string_view name) {
  auto n = PODNET_TRY(remove_many({{std::string(ns), std::string(name)}}));
  return n > 0;
}

namespace {
constexpr size_t kReadByKeyUpTo = 64;
}  // namespace

Result<BulkResult> ServiceStore::apply_many(std::vector<Service> services) {
  BulkResult out;
  out.applied.resize(services.size());
  std::set<std::string> names;
  for (auto& s : services) {
    detail::normalize(s);
    if (auto v = cluster::validate_service(s, config_); !v)
      return std::unexpected(in_service(s.ns, s.name, v.error()));
    if (!names.insert(detail::owner_of(s)).second)
      return std::unexpected(in_service(s.ns, s.name, Error::msg("given twice")));
  }
  const int64_t now = now_();
  const size_t max_ops = std::max<size_t>(8, st_.max_txn_ops());
  std::vector<size_t> pending(services.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  for (int attempt = 0; attempt < kAttempts && !pending.empty(); ++attempt) {
    // One read of everything, then every choice in memory; a few Services (a one-object
    // apply against a store of 10000) are read by key instead, so a small change costs what it
    // touches, not what the store holds.
    std::vector<store::KeyValue> current;
    if (pending.size() <= kReadByKeyUpTo) {
      for (size_t i : pending)
        if (auto kv = PODNET_TRY(st_.get(cluster::service_key(services[i].ns, services[i].name))))
          current.push_back(std::move(*kv));
    } else {
      current = std::move(PODNET_TRY(st_.list(cluster::services_prefix)).items);
    }
    std::unordered_map<std::string, const store::KeyValue*> by_key;
    for (const auto& kv : current) by_key.emplace(kv.key, &kv);
    Known known(config_);
    // ClusterIPs are read only when some Service is new (re-applying a large file then reads
    // half as much); a choice made without them that collides fails its compare and the next
    // pass reads them.
    bool any_new = attempt > 0;
    for (size_t i : pending)
      any_new = any_new || !by_key.contains(cluster::service_key(services[i].ns, services[i].name));
    for (auto prefix : {cluster_ip_prefix, node_port_prefix})
      if (prefix == node_port_prefix || any_new)
        for (const auto& a : PODNET_TRY(st_.list(prefix)).items) known.add(a);
    std::vector<std::pair<size_t, Plan>> plans;
    plans.reserve(pending.size());
    for (size_t i : pending) {
      const Service& s = services[i];
      std::optional<StoredService> cur;
      store::Revision raw_rev = 0;
      if (auto it = by_key.find(cluster::service_key(s.ns, s.name)); it != by_key.end()) {
        raw_rev = it->second->mod_revision;
        if (auto p = parse_stored(*it->second)) cur = *p;
      }
      auto plan = detail::plan_apply(s, cur, known, now, uint64_t(attempt));
      if (!plan) return std::unexpected(in_service(s.ns, s.name, plan.error()));
      if (raw_rev && !cur) plan->compares.front().mod_revision = raw_rev;
      plans.emplace_back(i, std::move(*plan));
    }
    // Pack whole Services into transactions of at most max_ops compares and ops each.
    std::vector<size_t> lost;
    for (size_t k = 0; k < plans.size();) {
      store::Txn txn;
      size_t first = k;
      for (; k < plans.size(); ++k) {
        Plan& p = plans[k].second;
        if (p.action == Action::unchanged) continue;
        if (k > first && (txn.compares.size() + p.compares.size() > max_ops ||
                          txn.ops.size() + p.ops.size() > max_ops))
          break;
        move_into(txn, p);
      }
      bool ok = true;
      if (!txn.ops.empty()) {
        auto r = PODNET_TRY(st_.commit(txn));
        ++out.transactions;
        ok = r.succeeded;
      }
      for (size_t m = first; m < k; ++m) {
        auto& [idx, p] = plans[m];
        if (!ok && p.action != Action::unchanged) {
          lost.push_back(idx);
          continue;
        }
        out.applied[idx] = Applied{std::move(p.service), p.action};
      }
    }
    pending = std::move(lost);
  }
  if (!pending.empty())
    return fail(
        fmt::format("apply of {} services: {} still conflicting with concurrent writers "
                    "after {} tries",
                    services.size(), pending.size(), kAttempts));
  for (const auto& a : out.applied) {
    if (a.action == Action::created)
      ++out.created;
    else if (a.action == Action::updated)
      ++out.updated;
    else
      ++out.unchanged;
  }
  return out;
}

Result<size_t> ServiceStore::remove_many(
    const std::vector<std::pair<std::string, std::string>>& names) {
  const size_t max_ops = std::max<size_t>(8, st_.max_txn_ops());
  size_t removed = 0;
  std::vector<std::pair<std::string, std::string>> pending = names;
  for (int attempt = 0; attempt < kAttempts && !pending.empty(); ++attempt) {
    // Few names: read each; many: one listing (a `delete -f` of 10000 read them one by one).
    std::vector<StoredService> found;
    Known known(config_);
    std::set<std::string> want_keys;
    std::vector<store::KeyValue> current;
    if (pending.size() <= kReadByKeyUpTo) {
      for (const auto& [ns, name] : pending)
        if (auto kv = PODNET_TRY(st_.get(cluster::service_key(ns, name))))
          current.push_back(std::move(*kv));
    } else {
      std::set<std::string> keys;
      for (const auto& [ns, name] : pending) keys.insert(cluster::service_key(ns, name));
      for (auto& kv : PODNET_TRY(st_.list(cluster::services_prefix)).items)
        if (keys.contains(kv.key)) current.push_back(std::move(kv));
    }
    for (const auto& kv : current) {
      auto p = parse_stored(kv);
      if (!p) {  // unparsable: delete the key alone
        auto r = PODNET_TRY(st_.del_if(kv.key, kv.mod_revision));
        removed += r.succeeded;
        continue;
      }
      const Service& s = (*p)->service;
      if (s.clusterIP) want_keys.insert(cluster_ip_key(*s.clusterIP));
      for (const auto& sp : s.ports)
        if (sp.nodePort) want_keys.insert(node_port_key(sp.nodePort));
      found.push_back(std::move(**p));
    }
    if (want_keys.size() > 64) {
      for (auto prefix : {cluster_ip_prefix, node_port_prefix})
        for (const auto& a : PODNET_TRY(st_.list(prefix)).items) known.add(a);
    } else {
      for (const auto& k : want_keys)
        if (auto a = PODNET_TRY(st_.get(k))) known.add(*a);
    }
    std::vector<std::pair<std::string, std::string>> lost;
    for (size_t k = 0; k < found.size();) {
      store::Txn txn;
      size_t first = k;
      for (; k < found.size(); ++k) {
        Plan p = detail::plan_delete(found[k], known);
        if (k > first && (txn.compares.size() + p.compares.size() > max_ops ||
                          txn.ops.size() + p.ops.size() > max_ops))
          break;
        move_into(txn, p);
      }
      auto r = PODNET_TRY(st_.commit(txn));
      for (size_t m = first; m < k; ++m) {
        if (r.succeeded)
          ++removed;
        else
          lost.emplace_back(found[m].service.ns, found[m].service.name);
      }
    }
    pending = std::move(lost);
  }
  if (!pending.empty())
    return fail(fmt::format("delete of {} services: {} still conflicting with concurrent writers",
                            names.size(), pending.size()));
  return removed;
}

}  // namespace podnet::svcstore
