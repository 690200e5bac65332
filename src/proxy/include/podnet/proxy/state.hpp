#pragma once
// The difference between the applied ruleset and a wanted snapshot (pure). The state keeps
// the services it applied (their elements are recomputed when needed, which costs far less
// memory than keeping them) and reference counts of what services share.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "podnet/nft/element_batch.hpp"
#include "podnet/proxy/conntrack_plan.hpp"
#include "podnet/proxy/key_counts.hpp"
#include "podnet/proxy/plan.hpp"

namespace podnet::proxy {

// One sync, in the order the applier must run it.
struct Change {
  bool full = false;
  std::string add_text;  // 1. libnftables: new/changed sets and chains
  // 2. libnftnl: element flush/removal/addition, encoded as planned (decode() shows them)
  nft::EncodedBatch elements{kFamilyIp, kTable};
  std::vector<std::string> remove_chains, remove_sets;  // 3. libnftables: what nothing needs now
  // Full sync only: every chain and set wanted; the applier removes others it finds.
  std::vector<std::string> keep_chains, keep_sets;
  // Full sync only: what add_text was made of, so the applier can leave out the shared pick
  // chains a table from an earlier run already holds (see precreated_chain).
  std::vector<SetDef> add_sets;
  std::vector<Chain> add_chains;
  std::vector<ConntrackFilter> conntrack;  // 4. UDP entries made stale
  size_t services = 0, endpoints = 0, changes = 0;
  bool empty() const {
    return !full && add_text.empty() && elements.empty() && remove_chains.empty() &&
           remove_sets.empty();
  }
};

class RulesetState {
 public:
  // Full when asked, when nothing was applied yet, or when the node changed; else the
  // difference. The state moves to `wanted` at once: after a failed apply, invalidate().
  Change plan(const Snapshot& wanted, bool full = false);
  void invalidate() { valid_ = false; }
  bool valid() const { return valid_; }
  const NodeInfo& node() const { return node_; }
  // The applied service of that key ("ns/name"), or nullptr.
  const Service* find(const std::string& key) const;

 private:
  struct Entry {
    Service svc;
    uint32_t id = 0;       // index into seen_
    bool skipped = false;  // its ClusterIP/NodePort keys were taken by another: not programmed
  };
  // One position of the last snapshot: a sync walks the new snapshot against these, and a
  // service whose version is where it was costs a comparison of two integers (its entry, a
  // cache miss after a full sync, is not read).
  struct Placed {
    uint64_t version = 0;
    Entry* entry = nullptr;
  };
  Change plan_full(const Snapshot& wanted);
  Change plan_diff(const Snapshot& wanted);
  uint32_t new_id();  // an Entry::id, marked seen by this sync
  Entry& make_entry(std::string key, const Service& svc);

  NodeInfo node_;
  bool valid_ = false;
  uint64_t gen_ = 0;
  std::unordered_map<std::string, Entry> services_;
  std::vector<Placed> order_, next_order_;  // next_order_: reused, a sync allocates no order
  std::vector<uint64_t> seen_;              // by Entry::id: the sync (gen_) that last saw it
  std::vector<uint32_t> free_ids_;
  KeyCounts shared_refs_;                            // shared_id -> users
  std::unordered_map<std::string, int> chain_refs_;  // shared chain -> users
  size_t endpoints_ = 0;
};

}  // namespace podnet::proxy
