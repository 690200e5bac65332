#include "podnet/proxy/state.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

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
std::string shared_id(std::string_view set, std::span<const uint8_t> key) {
  std::string id(1, set.empty() ? '\0' : set[0]);
  id.append(key.begin(), key.end());
  return id;
}
std::string shared_id(const nft::SetElement& e) {
  return shared_id(e.set, e.key);
}

// A full sync's sink: elements go straight into the batch; shared ones once, counted.
struct FullSink final : ElementSink {
  nft::EncodedBatch& out;
  KeyCounts& refs;
  FullSink(nft::EncodedBatch& o, KeyCounts& r) : out(o), refs(r) {}
  void own(const Element& e) override { out.add(set_name(e.set), e.view()); }
  void shared(const Element& e) override {
    const std::string& set = set_name(e.set);
    char id[1 + sizeof e.key];  // shared_id without a string
    id[0] = set[0];
    std::memcpy(id + 1, e.key.data(), e.key_len);
    if (refs.add(std::string_view(id, 1 + e.key_len), 1) == 0) out.add(set, e.view());
  }
};

// A partial sync's element changes, written into the batch as they are found (removals are
// sent before additions, so a key may move between services in one sync).
struct DiffOut {
  nft::EncodedBatch& batch;
  KeyCounts& shared_refs;
  KeyCounts added, removed;  // own element ids sent this sync: each once per direction

  void own(bool add, std::string_view set, const nft::ElementView& v) {
    char id[64];  // set name, NUL, key: at most 15 + 1 + 40 bytes
    const size_t n = std::min(set.size(), size_t{15});
    std::memcpy(id, set.data(), n);
    id[n] = 0;
    const size_t len = std::min(v.key.size(), sizeof id - n - 1);
    std::memcpy(id + n + 1, v.key.data(), len);
    // A key two services want: the first one wins, as in a full sync.
    if ((add ? added : removed).add(std::string_view(id, n + 1 + len), 1) != 0) return;
    add ? batch.add(set, v) : batch.remove(set, v);
  }
  void own(bool add, const nft::SetElement& e) { own(add, e.set, nft::ElementView::of(e)); }
  // Users of a shared element change by delta; it is removed when they drop to 0 and added when
  // they rise from 0. A count reaches 0 only once all its users before this sync let go, so an
  // element sees at most a removal then an addition (the batch's order keeps it then).
  void shared(int delta, std::string_view set, const nft::ElementView& v) {
    char id[1 + 40];
    id[0] = set.empty() ? 0 : set[0];
    const size_t len = std::min(v.key.size(), size_t{40});
    std::memcpy(id + 1, v.key.data(), len);
    const int before = shared_refs.add(std::string_view(id, 1 + len), delta);
    const int after = before + delta;
    if (before > 0 && after <= 0) batch.remove(set, v);
    if (before <= 0 && after > 0) batch.add(set, v);
  }
};

struct DiffSink final : ElementSink {
  DiffOut& out;
  bool add;
  DiffSink(DiffOut& o, bool a) : out(o), add(a) {}
  void own(const Element& e) override { out.own(add, set_name(e.set), e.view()); }
  void shared(const Element& e) override { out.shared(add ? 1 : -1, set_name(e.set), e.view()); }
};

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
  seen_.clear();
  free_ids_.clear();
  shared_refs_.clear();
  chain_refs_.clear();
  node_ = wanted.node;
  valid_ = true;
  ++gen_;
  endpoints_ = 0;

  BasePlan base = plan_base(node_);
  std::vector<SetDef> sets = base.sets;
  std::vector<Chain> chains = base.chains;
  for (const auto& s : base.sets) c.elements.flush(s.name);
  // A key (ClusterIP or external IP . proto . port, or proto . NodePort) claimed twice: the first service wins,
  // the other is kept aside (invalid input must not make every sync fail).
  KeyCounts claimed;
  claimed.reserve(wanted.services.size());
  order_.clear();
  order_.reserve(wanted.services.size());
  seen_.reserve(wanted.services.size());
  // Every service's elements are encoded into the batch as they are planned: no element is
  // kept anywhere else.
  services_.reserve(wanted.services.size());
  {
    size_t eps = 0;  // each endpoint wants an `endpoints` key, a local one a `hairpin` key too
    for (const auto& svc : wanted.services) eps += endpoint_count(svc);
    shared_refs_.reserve(2 * eps);
  }
  FullSink sink(c.elements, shared_refs_);
  ServiceObjects objs;
  std::vector<std::string> keys;  // "c" ClusterIP proto port, "n" proto NodePort (bytes)
  for (const auto& svc : wanted.services) {
    std::string key = service_key(svc);
    auto [it, fresh] = services_.try_emplace(key, Entry{svc, 0, false});
    if (!fresh) continue;  // duplicate in the snapshot: the first one counts
    Entry& entry = it->second;
    entry.id = new_id();
    order_.push_back(Placed{svc.version, &entry});
    keys.clear();
    for (const auto& port : svc.ports) {
      const char proto = static_cast<char>(port.protocol);
      for (size_t x = 0; x <= svc.external_ips.size(); ++x) {
        const net::IpAddress& ip = x ? svc.external_ips[x - 1] : svc.cluster_ip;
        std::string& k = keys.emplace_back("c");
        k.append(reinterpret_cast<const char*>(ip.data()), ip.byte_len());
        k += {proto, static_cast<char>(port.port >> 8), static_cast<char>(port.port & 0xff)};
      }
      if (port.node_port)
        keys.push_back({'n', proto, static_cast<char>(port.node_port >> 8),
                        static_cast<char>(port.node_port & 0xff)});
    }
    bool taken = false;
    for (const auto& k : keys) taken = taken || claimed.get(k) > 0;
    if (taken) {
      entry.skipped = true;
      continue;
    }
    for (const auto& k : keys) claimed.add(k, 1);
    endpoints_ += endpoint_count(svc);
    objs.clear();
    plan_service(node_, svc, sink, objs);
    for (auto& name : objs.shared_chains)
      if (chain_refs_[name]++ == 0 && !precreated_chain(name))
        chains.push_back(shared_chain(node_, name));
    for (auto& ch : objs.chains) chains.push_back(std::move(ch));
    for (auto& s : objs.sets) sets.push_back(std::move(s));
    auto old = previous.find(key);
    for (auto& f : conntrack_cleanup(old == previous.end() ? nullptr : &old->second.svc, &svc))
      c.conntrack.push_back(std::move(f));
    if (old != previous.end()) previous.erase(old);
  }
  for (const auto& [key, e] : previous)
    for (auto& f : conntrack_cleanup(&e.svc, nullptr)) c.conntrack.push_back(std::move(f));
  c.add_text = add_commands(sets, chains);
  for (const auto& s : sets) c.keep_sets.push_back(s.name);
  for (const auto& ch : chains) c.keep_chains.push_back(ch.name);
  c.services = services_.size();
  c.endpoints = endpoints_;
  c.changes = c.elements.elements() + chains.size() + sets.size();
  c.add_sets = std::move(sets);
  c.add_chains = std::move(chains);
  return c;
}

uint32_t RulesetState::new_id() {
  uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<uint32_t>(seen_.size());
    seen_.push_back(0);
  }
  seen_[id] = gen_;
  return id;
}

RulesetState::Entry& RulesetState::make_entry(std::string key, const Service& svc) {
  return services_.try_emplace(std::move(key), Entry{svc, new_id(), false}).first->second;
}

Change RulesetState::plan_diff(const Snapshot& wanted) {
  Change c;
  ++gen_;
  DiffOut out{c.elements, shared_refs_, {}, {}};
  std::unordered_map<std::string, int> chain_before;  // shared chain users before this sync
  std::map<std::string, Chain> chains_added;
  std::set<std::string> chains_removed;
  std::map<std::string, SetDef> sets_added;
  std::set<std::string> sets_removed;

  // Chains and sets of a service before and after: shared chains counted, its own by name.
  auto objects = [&](const ServiceObjects& before, ServiceObjects& after) {
    auto count = [&](const std::string& name, int delta) {
      int& r = chain_refs_[name];
      chain_before.try_emplace(name, r);
      r += delta;
    };
    for (const auto& n : before.shared_chains) count(n, -1);
    for (const auto& n : after.shared_chains) count(n, +1);
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

  ServiceObjects none, objs;
  auto apply = [&](const Service* old, const Service* now) {
    if (old) endpoints_ -= endpoint_count(*old);
    if (now) endpoints_ += endpoint_count(*now);
    for (auto& f : conntrack_cleanup(old, now)) c.conntrack.push_back(std::move(f));
    objs.clear();
    if (!old || !now) {
      // Added or gone: its elements stream into the batch like a full sync's.
      DiffSink sink(out, now != nullptr);
      plan_service(node_, now ? *now : *old, sink, objs);
      if (now)
        objects(none, objs);
      else
        objects(objs, none);
      none.clear();
      return;
    }
    // Changed: only the difference, own elements by key, shared ones by net count.
    ServicePlan before = plan_service(node_, *old);
    ServicePlan after = plan_service(node_, *now);
    std::unordered_map<std::string, const nft::SetElement*> prev;
    for (const auto& e : before.elements) prev.emplace(elem_id(e), &e);
    for (const auto& e : after.elements) {
      auto it = prev.find(elem_id(e));
      if (it != prev.end()) {
        const nft::SetElement* was = it->second;
        prev.erase(it);
        if (same_value(*was, e)) continue;
        out.own(false, *was);  // same key, new value: remove then add
      }
      out.own(true, e);
    }
    for (const auto& [id, e] : prev) out.own(false, *e);
    std::unordered_map<std::string, std::pair<int, const nft::SetElement*>> shared;
    for (const auto& e : before.shared) {
      auto& d = shared[shared_id(e)];
      d = {d.first - 1, &e};
    }
    for (const auto& e : after.shared) {
      auto& d = shared[shared_id(e)];
      d = {d.first + 1, &e};
    }
    for (const auto& [id, d] : shared)
      if (d.first != 0) out.shared(d.first, d.second->set, nft::ElementView::of(*d.second));
    ServiceObjects b{std::move(before.shared_chains), std::move(before.chains),
                     std::move(before.sets)};
    ServiceObjects a{std::move(after.shared_chains), std::move(after.chains),
                     std::move(after.sets)};
    objects(b, a);
  };

  // The new order is written over the old one while every service is where it was (the usual
  // case: no second array to fill); from the first one that moved, into next_order_.
  size_t matched = 0;
  bool moved = false;
  auto place = [&](Placed p) {
    if (!moved) {
      if (matched < order_.size() && order_[matched].entry == p.entry) {
        order_[matched++].version = p.version;
        return;
      }
      next_order_.assign(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(matched));
      moved = true;
    }
    next_order_.push_back(p);
    ++matched;
  };
  for (size_t i = 0; i < wanted.services.size(); ++i) {
    const Service& svc = wanted.services[i];
    // The same view where it was last time (the usual case): a version names one view of one
    // service, so nothing else is read.
    if (svc.version != 0 && i < order_.size() && order_[i].version == svc.version) {
      Entry* e = order_[i].entry;
      if (seen_[e->id] == gen_) continue;  // duplicate in the snapshot: the first one counts
      seen_[e->id] = gen_;
      place(order_[i]);
      continue;
    }
    Entry* e = nullptr;
    // Same position, other view: no key string, no hash lookup.
    if (i < order_.size() && order_[i].entry->svc.name == svc.name &&
        order_[i].entry->svc.ns == svc.ns) {
      e = order_[i].entry;
    } else {
      std::string key = service_key(svc);
      auto it = services_.find(key);
      if (it == services_.end()) {
        apply(nullptr, &svc);
        place(Placed{svc.version, &make_entry(std::move(key), svc)});
        continue;
      }
      e = &it->second;
    }
    if (seen_[e->id] == gen_) continue;  // duplicate in the snapshot: the first one counts
    const bool same = svc.version != 0 ? e->svc.version == svc.version : e->svc == svc;
    if (!same) {
      apply(e->skipped ? nullptr : &e->svc, &svc);
      e->svc = svc;
      e->skipped = false;
    }
    seen_[e->id] = gen_;
    place(Placed{svc.version, e});
  }
  if (matched != services_.size())
    for (auto it = services_.begin(); it != services_.end();) {
      if (seen_[it->second.id] != gen_) {
        if (!it->second.skipped) apply(&it->second.svc, nullptr);
        free_ids_.push_back(it->second.id);
        it = services_.erase(it);
      } else {
        ++it;
      }
    }
  if (moved)
    std::swap(order_, next_order_);
  else
    order_.resize(matched);  // services gone from the end

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
  c.remove_chains.assign(chains_removed.begin(), chains_removed.end());
  c.remove_sets.assign(sets_removed.begin(), sets_removed.end());
  c.services = services_.size();
  c.endpoints = endpoints_;
  c.changes = c.elements.elements() + chains.size() + sets.size() + c.remove_chains.size() +
              c.remove_sets.size();
  return c;
}

}  // namespace podnet::proxy
