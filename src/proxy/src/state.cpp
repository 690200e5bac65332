#include "podnet/proxy/state.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_set>

namespace podnet::proxy {

namespace {

std::string elem_id(const nft::SetElement& e) {
  std::string id = e.set;
  id.push_back('\0');
  id.append(e.key.begin(), e.key.end());
  return id;
}

// Id of a shared element (sets `endpoints` and `hairpin`, whose first letters differ): short
// enough for the string's inline buffer with IPv4 keys, so counting users allocates nothing.
std::string shared_id(const nft::SetElement& e) {
  std::string id(1, e.set.empty() ? '\0' : e.set[0]);
  id.append(e.key.begin(), e.key.end());
  return id;
}

size_t endpoint_count(const Service& s) {
  size_t n = 0;
  for (const auto& p : s.ports) n += p.endpoints.size();
  return n;
}

bool same_value(const nft::SetElement& a, const nft::SetElement& b) {
  return a.data == b.data && a.verdict == b.verdict && a.chain == b.chain;
}

}  // namespace

const Service* RulesetState::find(const std::string& key) const {
  auto it = services_.find(key);
  return it == services_.end() ? nullptr : &it->second.svc;
}

Change RulesetState::plan(const Snapshot& wanted, bool full) {
  if (full || !valid_ || !(wanted.node == node_)) return plan_full(wanted);
  return plan_diff(wanted);
}

Change RulesetState::plan_full(const Snapshot& wanted) {
  Change c;
  c.full = true;
  // The previous services still tell which UDP flows became stale.
  auto previous = std::move(services_);
  services_.clear();
  shared_refs_.clear();
  chain_refs_.clear();
  node_ = wanted.node;
  valid_ = true;
  ++gen_;
  endpoints_ = 0;

  BasePlan base = plan_base(node_);
  std::vector<SetDef> sets = base.sets;
  std::vector<Chain> chains = base.chains;
  for (const auto& s : base.sets) c.elements.flush.push_back(s.name);
  // A key (ClusterIP . proto . port or proto . NodePort) claimed twice: the first service wins,
  // the other is kept aside (invalid input must not make every sync fail).
  std::unordered_set<uint64_t> claimed;
  order_.clear();
  order_.reserve(wanted.services.size());
  // Every service is planned into one element vector (no per-service vectors to move from).
  // Reserved for the most a service can plan (2 + 3 per endpoint per port, shared ones included)
  // so the vector never moves: pages of the unused rest are never touched.
  size_t most = 0;
  for (const auto& svc : wanted.services) {
    most += 1;
    for (const auto& p : svc.ports) most += 2 + 5 * p.endpoints.size();
  }
  ServicePlan acc;
  acc.elements.reserve(most);
  services_.reserve(wanted.services.size());
  shared_refs_.reserve(wanted.services.size() * 2);
  for (const auto& svc : wanted.services) {
    std::string key = service_key(svc);
    auto [it, fresh] = services_.try_emplace(key, Entry{svc, gen_});
    if (!fresh) continue;
    order_.push_back(&it->second);
    std::vector<uint64_t> keys;
    for (const auto& port : svc.ports) {
      uint32_t ip4 = 0;
      std::memcpy(&ip4, svc.cluster_ip.data(), 4);
      uint64_t pp = (uint64_t{static_cast<uint8_t>(port.protocol)} << 16) | port.port;
      keys.push_back((uint64_t{ip4} << 24) | pp);
      if (port.node_port)
        keys.push_back((uint64_t{1} << 60) | (uint64_t{static_cast<uint8_t>(port.protocol)} << 16) |
                       port.node_port);
    }
    bool taken = false;
    for (uint64_t k : keys) taken = taken || claimed.count(k);
    if (taken) {
      it->second.skipped = true;
      continue;
    }
    claimed.insert(keys.begin(), keys.end());
    endpoints_ += endpoint_count(svc);
    acc.shared.clear();
    acc.shared_chains.clear();
    acc.chains.clear();
    acc.sets.clear();
    plan_service_into(node_, svc, acc);
    for (auto& e : acc.shared)
      if (shared_refs_[shared_id(e)]++ == 0) acc.elements.push_back(std::move(e));
    for (auto& name : acc.shared_chains)
      if (chain_refs_[name]++ == 0 && !precreated_chain(name))
        chains.push_back(shared_chain(node_, name));
    for (auto& ch : acc.chains) chains.push_back(std::move(ch));
    for (auto& s : acc.sets) sets.push_back(std::move(s));
    auto old = previous.find(key);
    for (auto& f : conntrack_cleanup(old == previous.end() ? nullptr : &old->second.svc, &svc))
      c.conntrack.push_back(std::move(f));
    if (old != previous.end()) previous.erase(old);
  }
  c.elements.add = std::move(acc.elements);
  for (const auto& [key, e] : previous)
    for (auto& f : conntrack_cleanup(&e.svc, nullptr)) c.conntrack.push_back(std::move(f));
  c.add_text = add_commands(sets, chains);
  for (const auto& s : sets) c.keep_sets.push_back(s.name);
  for (const auto& ch : chains) c.keep_chains.push_back(ch.name);
  c.add_sets = std::move(sets);
  c.add_chains = std::move(chains);
  c.services = services_.size();
  c.endpoints = endpoints_;
  c.changes = c.elements.add.size() + chains.size() + sets.size();
  return c;
}

Change RulesetState::plan_diff(const Snapshot& wanted) {
  Change c;
  ++gen_;
  // Element changes by id: removals first, then additions, both net of each other.
  std::map<std::string, nft::SetElement> removed, added;
  std::unordered_map<std::string, int> shared_before, chain_before;
  std::unordered_map<std::string, nft::SetElement> shared_elems;
  std::map<std::string, Chain> chains_added;
  std::set<std::string> chains_removed;
  std::map<std::string, SetDef> sets_added;
  std::set<std::string> sets_removed;

  auto apply = [&](const Service* old, const Service* now) {
    ServicePlan before = old ? plan_service(node_, *old) : ServicePlan{};
    ServicePlan after = now ? plan_service(node_, *now) : ServicePlan{};
    if (old) endpoints_ -= endpoint_count(*old);
    if (now) endpoints_ += endpoint_count(*now);
    for (auto& f : conntrack_cleanup(old, now)) c.conntrack.push_back(std::move(f));
    // Own elements.
    std::unordered_map<std::string, const nft::SetElement*> prev;
    for (const auto& e : before.elements) prev.emplace(elem_id(e), &e);
    for (auto& e : after.elements) {
      std::string id = elem_id(e);
      auto it = prev.find(id);
      if (it != prev.end()) {
        const nft::SetElement* was = it->second;
        prev.erase(it);
        if (same_value(*was, e)) continue;
        removed.emplace(id, *was);  // same key, new value: remove then add
      }
      added[id] = std::move(e);
    }
    // Gone keys (if another service takes one in this sync, removal runs before its addition).
    for (const auto& [id, e] : prev) removed.emplace(id, *e);
    // Shared elements and chains: reference counts; the transitions 0<->1 are changes.
    auto count = [&](std::unordered_map<std::string, int>& refs,
                     std::unordered_map<std::string, int>& first, const std::string& id,
                     int delta) {
      int& r = refs[id];
      first.try_emplace(id, r);
      r += delta;
    };
    for (auto& e : before.shared) {
      std::string id = shared_id(e);
      count(shared_refs_, shared_before, id, -1);
      shared_elems.try_emplace(std::move(id), std::move(e));
    }
    for (auto& e : after.shared) {
      std::string id = shared_id(e);
      count(shared_refs_, shared_before, id, +1);
      shared_elems.try_emplace(std::move(id), std::move(e));
    }
    for (const auto& n : before.shared_chains) count(chain_refs_, chain_before, n, -1);
    for (const auto& n : after.shared_chains) count(chain_refs_, chain_before, n, +1);
    // Own chains and sets by name.
    std::map<std::string, const Chain*> old_chains;
    for (const auto& ch : before.chains) old_chains.emplace(ch.name, &ch);
    for (auto& ch : after.chains) {
      auto it = old_chains.find(ch.name);
      bool same = it != old_chains.end() && *it->second == ch;
      if (it != old_chains.end()) old_chains.erase(it);
      chains_removed.erase(ch.name);
      if (!same) chains_added[ch.name] = std::move(ch);
    }
    for (const auto& [name, ch] : old_chains) chains_removed.insert(name);
    std::set<std::string> old_sets;
    for (const auto& s : before.sets) old_sets.insert(s.name);
    for (auto& s : after.sets) {
      sets_removed.erase(s.name);
      if (!old_sets.erase(s.name)) sets_added[s.name] = std::move(s);
    }
    for (const auto& n : old_sets) sets_removed.insert(n);
  };

  std::vector<Entry*> order;
  order.reserve(wanted.services.size());
  size_t matched = 0;
  for (size_t i = 0; i < wanted.services.size(); ++i) {
    const Service& svc = wanted.services[i];
    Entry* e = nullptr;
    // Same position as last time (the usual case): no key string, no hash lookup.
    if (i < order_.size() && order_[i]->svc.name == svc.name && order_[i]->svc.ns == svc.ns) {
      e = order_[i];
    } else {
      std::string key = service_key(svc);
      auto it = services_.find(key);
      if (it == services_.end()) {
        apply(nullptr, &svc);
        auto ins = services_.emplace(std::move(key), Entry{svc, gen_});
        order.push_back(&ins.first->second);
        ++matched;
        continue;
      }
      e = &it->second;
    }
    if (e->gen == gen_) continue;  // duplicate in the snapshot: the first one counts
    const bool same = svc.version != 0 ? e->svc.version == svc.version : e->svc == svc;
    if (!same) {
      apply(e->skipped ? nullptr : &e->svc, &svc);
      e->svc = svc;
      e->skipped = false;
    }
    e->gen = gen_;
    order.push_back(e);
    ++matched;
  }
  if (matched != services_.size())
    for (auto it = services_.begin(); it != services_.end();) {
      if (it->second.gen != gen_) {
        if (!it->second.skipped) apply(&it->second.svc, nullptr);
        it = services_.erase(it);
      } else {
        ++it;
      }
    }
  order_ = std::move(order);

  // Shared elements change only when their user count crosses zero.
  for (const auto& [id, before] : shared_before) {
    int now = shared_refs_[id];
    // The batch maps are keyed like own elements (set name, key), which shared ids are not.
    if (before == 0 && now > 0) {
      nft::SetElement& e = shared_elems[id];
      added[elem_id(e)] = std::move(e);
    }
    if (before > 0 && now == 0) {
      nft::SetElement& e = shared_elems[id];
      removed.emplace(elem_id(e), std::move(e));
    }
    if (now == 0) shared_refs_.erase(id);
  }
  for (const auto& [name, before] : chain_before) {
    int now = chain_refs_[name];
    if (before == 0 && now > 0 && !precreated_chain(name))
      chains_added[name] = shared_chain(node_, name);
    if (before > 0 && now == 0 && !precreated_chain(name)) chains_removed.insert(name);
    if (now == 0) chain_refs_.erase(name);
  }

  std::vector<SetDef> sets;
  for (auto& [n, s] : sets_added) sets.push_back(std::move(s));
  std::vector<Chain> chains;
  for (auto& [n, ch] : chains_added) chains.push_back(std::move(ch));
  if (!sets.empty() || !chains.empty()) c.add_text = add_commands(sets, chains);
  for (auto& [id, e] : removed) c.elements.remove.push_back(std::move(e));
  for (auto& [id, e] : added) c.elements.add.push_back(std::move(e));
  c.remove_chains.assign(chains_removed.begin(), chains_removed.end());
  c.remove_sets.assign(sets_removed.begin(), sets_removed.end());
  c.services = services_.size();
  c.endpoints = endpoints_;
  c.changes = c.elements.add.size() + c.elements.remove.size() + chains.size() + sets.size() +
              c.remove_chains.size() + c.remove_sets.size();
  return c;
}

}  // namespace podnet::proxy
