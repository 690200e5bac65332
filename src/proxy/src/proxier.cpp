#include "podnet/proxy/proxier.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "conntrack.hpp"
#include "podnet/nft/nft_context.hpp"
#include "podnet/nft/set_elements.hpp"
#include "podnet/proxy/state.hpp"
#include "table_objects.hpp"

namespace podnet::proxy {

struct Proxier::State {
  nft::NftContext nft;
  nft::SetElementClient elements;
  ConntrackCleaner conntrack;
  RulesetState rules;
};

Proxier::Proxier(std::unique_ptr<State> s) : st_(std::move(s)) {}
Proxier::Proxier(Proxier&&) noexcept = default;
Proxier& Proxier::operator=(Proxier&&) noexcept = default;
Proxier::~Proxier() = default;

Result<Proxier> Proxier::open() {
  auto nft = PODNET_TRY(nft::NftContext::create());
  auto elements = PODNET_TRY(nft::SetElementClient::open());
  auto ct = PODNET_TRY(ConntrackCleaner::open());
  return Proxier(
      std::make_unique<State>(State{std::move(nft), std::move(elements), std::move(ct), {}}));
}

namespace {
const std::string kTableName(kTable);
const std::string kTableRef = fmt::format("ip {}", kTable);

// The structure text of a full sync over a table an earlier run left: its shared pick chains
// (precreated_chain) stay as they are. nft 1.0.6 cannot add their rules once the maps they look
// up come from the kernel, and their rules depend only on the cluster CIDR, checked here on
// pick-1. Empty: use the full text (no table yet, or it was made for another CIDR).
std::string text_over_existing(const Change& c, const TableObjects& objs, const NodeInfo& node) {
  std::unordered_set<std::string> have(objs.chains.begin(), objs.chains.end());
  if (!objs.exists || !have.count("pick-1")) return {};
  // pick-1's first rule is `ip saddr != CIDR jump mark-for-masquerade`: cmp against the CIDR's
  // network address after a bitwise mask of its length (none for a full-length prefix).
  auto first = first_rule_values(kFamilyIp, kTableName, "pick-1");
  if (!first || !*first || (*first)->cmp.size() != 1 || (*first)->mask.size() > 1) return {};
  // nft compares only the bytes a prefix covers (192.168.0.0/16: 2 bytes, no mask; /10: the
  // bytes under a bitwise mask), so the operands are prefixes of the CIDR's network and mask.
  const net::Prefix cidr = node.cluster_cidr.masked();
  const std::vector<uint8_t>& value = (*first)->cmp[0];
  const size_t n = value.size();
  const net::IpAddress net = cidr.network(), mask = cidr.netmask();
  if (n == 0 || n > static_cast<size_t>(net.byte_len()) ||
      !std::equal(value.begin(), value.end(), net.data()))
    return {};
  if ((*first)->mask.empty()
          ? n * 8 != static_cast<size_t>(cidr.length())
          : (*first)->mask[0] != std::vector<uint8_t>(mask.data(), mask.data() + n))
    return {};
  std::vector<Chain> chains;
  for (const auto& ch : c.add_chains)
    if (!(precreated_chain(ch.name) && have.count(ch.name))) chains.push_back(ch);
  return add_commands(c.add_sets, chains);
}

Result<> apply_full(Proxier::State& st, Change& c, const NodeInfo& node) {
  // 1. Structure: every wanted set and chain, rules rewritten; one transaction. If an existing
  // object cannot take its new definition, replace the whole structure atomically instead.
  auto before = list_table_objects(kFamilyIp, kTableName);
  std::string kept = before ? text_over_existing(c, *before, node) : std::string();
  std::string text = fmt::format("add table {}\n{}", kTableRef, kept.empty() ? c.add_text : kept);
  if (auto r = st.nft.run(text); !r) {
    auto r2 = st.nft.run(
        fmt::format("add table {0}\ndelete table {0}\nadd table {0}\n{1}", kTableRef, c.add_text));
    if (!r2) return std::unexpected(r.error().context("create service table"));
  }
  // 2. Elements: static maps flushed and refilled in one batch (no window without them).
  PODNET_TRY_VOID(st.elements.send(c.elements));
  // 3. Stale chains and sets (from an earlier run or a failed sync).
  auto objs = PODNET_TRY(list_table_objects(kFamilyIp, kTableName));
  std::unordered_set<std::string> keep_c(c.keep_chains.begin(), c.keep_chains.end());
  std::unordered_set<std::string> keep_s(c.keep_sets.begin(), c.keep_sets.end());
  for (auto& n : objs.chains)
    if (!keep_c.count(n)) c.remove_chains.push_back(n);
  for (auto& n : objs.sets)
    if (!keep_s.count(n)) c.remove_sets.push_back(n);
  if (!c.remove_chains.empty() || !c.remove_sets.empty()) {
    auto r = st.nft.run(delete_commands(c.remove_chains, c.remove_sets));
    if (!r) return std::unexpected(r.error().context("remove stale service chains"));
  }
  return {};
}

Result<> apply_diff(Proxier::State& st, Change& c) {
  // New chains before the elements that jump to them; elements gone before their chains.
  if (!c.add_text.empty()) {
    auto r = st.nft.run(c.add_text);
    if (!r) return std::unexpected(r.error().context("add service chains"));
  }
  PODNET_TRY_VOID(st.elements.send(c.elements));
  if (!c.remove_chains.empty() || !c.remove_sets.empty()) {
    auto r = st.nft.run(delete_commands(c.remove_chains, c.remove_sets));
    if (!r) return std::unexpected(r.error().context("remove service chains"));
  }
  return {};
}

Result<SyncStats> sync_once(Proxier::State& st, const Snapshot& wanted) {
  Change c = st.rules.plan(wanted);
  SyncStats stats;
  stats.full = c.full;
  stats.services = c.services;
  stats.endpoints = c.endpoints;
  stats.changes = c.changes;
  auto applied = c.full ? apply_full(st, c, wanted.node) : apply_diff(st, c);
  if (!applied) {
    st.rules.invalidate();  // the next sync starts over from a full resync
    return std::unexpected(applied.error());
  }
  // After the rules: new flows of a stale client now pick a live endpoint. A failure here
  // leaves the rules right; it is reported, and the next sync does not repeat it.
  auto n = st.conntrack.remove(c.conntrack);
  if (!n) return std::unexpected(n.error().context("service conntrack cleanup"));
  stats.conntrack_deleted = *n;
  return stats;
}
}  // namespace

Result<SyncStats> Proxier::sync(const Snapshot& wanted) {
  auto t0 = std::chrono::steady_clock::now();
  auto stats = sync_once(*st_, wanted);
  // A full sync's batch lives in mapped chunks, returned when it is freed; what the heap still
  // holds freed afterwards (the replaced state of an earlier full sync, growth of the counting
  // tables: 2.4 MB at 30000 Services on a first sync) goes back to the OS here.
  if (stats && stats->full) ::malloc_trim(0);
  if (stats)
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

void Proxier::resync_next() {
  st_->rules.invalidate();
}

Result<std::optional<std::string>> Proxier::verify() {
  if (!st_->rules.valid()) return std::nullopt;  // a full resync comes next anyway
  auto objs = PODNET_TRY(list_table_objects(kFamilyIp, kTableName));
  if (!objs.exists) return fmt::format("table {} is gone", kTableRef);
  const BasePlan base = plan_base(st_->rules.node());
  std::unordered_set<std::string> chains(objs.chains.begin(), objs.chains.end());
  std::unordered_set<std::string> sets(objs.sets.begin(), objs.sets.end());
  std::vector<std::string> missing;
  for (const auto& c : base.chains) {
    if (!chains.count(c.name)) {
      missing.push_back("chain " + c.name);
    } else if (!c.rules.empty()) {
      // `nft flush table` or `flush chain` leaves the chain without its rules.
      auto first = PODNET_TRY(first_rule_values(kFamilyIp, kTableName, c.name));
      if (!first) missing.push_back("the rules of chain " + c.name);
    }
  }
  for (const auto& s : base.sets)
    if (!sets.count(s.name)) missing.push_back((s.map ? "map " : "set ") + s.name);
  if (missing.empty()) return std::nullopt;
  return fmt::format("table {} lacks {}", kTableRef, fmt::join(missing, ", "));
}

Result<> Proxier::remove_all() {
  st_->rules.invalidate();
  // "add" first makes the delete succeed when the table is absent, in one transaction.
  auto r = st_->nft.run(fmt::format("add table {0}\ndelete table {0}\n", kTableRef));
  if (!r) return std::unexpected(r.error().context("remove service table"));
  return {};
}

Result<ServiceInspection> Proxier::inspect(const NodeInfo& node, const Service& svc) {
  ServiceInspection out;
  ServicePlan p = plan_service(node, svc);
  auto look = [&](const nft::SetElement& e) -> Result<> {
    auto got = PODNET_TRY(st_->elements.get(kFamilyIp, kTableName, e));
    if (got) {
      got->set = e.set;
      out.elements.push_back(e.set + ": " + element_text(*got));
    } else {
      out.missing.push_back(e.set + ": " + element_text(e));
    }
    return {};
  };
  for (const auto& e : p.elements) PODNET_TRY_VOID(look(e));
  for (const auto& e : p.shared) PODNET_TRY_VOID(look(e));
  std::vector<std::string> names = p.shared_chains;
  for (const auto& c : p.chains) names.push_back(c.name);
  for (const auto& n : names) {
    auto text = st_->nft.run(fmt::format("list chain {} {}", kTableRef, n));
    out.chains.push_back(text ? *text : fmt::format("chain {}: {}", n, text.error().message));
  }
  std::vector<ConntrackFilter> filters;
  for (const auto& port : svc.ports) {
    filters.push_back(
        ConntrackFilter{port.protocol, svc.cluster_ip, port.port, std::nullopt, 0, false});
    for (const auto& x : svc.external_ips)
      filters.push_back(ConntrackFilter{port.protocol, x, port.port, std::nullopt, 0, false});
    if (port.node_port)
      filters.push_back(
          ConntrackFilter{port.protocol, std::nullopt, port.node_port, std::nullopt, 0, false});
  }
  out.conntrack = PODNET_TRY(st_->conntrack.list(filters));
  return out;
}

}  // namespace podnet::proxy
