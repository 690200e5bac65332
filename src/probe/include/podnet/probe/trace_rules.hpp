#pragma once
// The podnet-owned nftables table that switches tracing on for the probe alone, as nft command
// text (pure), and the reading of `nft -a list ruleset` output that turns a trace event's rule
// handle into the rule's text and a base chain into its hook.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "podnet/probe/report.hpp"

namespace podnet::probe {

// The tables' name (one inet table, one bridge table): podnet's, so a table of that name left by
// a crashed run is ours to delete.
inline constexpr std::string_view kTraceTableFamily = "inet";
inline constexpr std::string_view kTraceTableName = "podnet-trace";

// What identifies the probe's packets in every namespace: the protocol and the source port (TCP,
// UDP) or echo id (ICMP). Both survive a veth crossing (skb marks do not) and DNAT; masquerade
// keeps the port unless it clashes. Replies carry it as destination port, ICMP errors inside
// the quoted packet.
struct ProbeMatch {
  Protocol protocol = Protocol::tcp;
  uint16_t port = 0;  // source port, or ICMP echo id
};

// One transaction: removes a stale table of a previous run (add+delete, so it works whether it
// exists or not), then creates the table: chains on prerouting and output at priority -350
// (before conntrack, NAT and every filter) whose rules set `meta nftrace` on the probe, its
// answer and ICMP errors quoting it, and empty chains late on input, forward and postrouting
// whose policy events show where the packet went after NAT; and a bridge-family table marking
// and seeing frames a bridge switches (they never reach the inet hooks).
std::string trace_table_commands(const ProbeMatch& m);
// Deletes the tables (fails when they do not exist).
std::string delete_table_commands();
// Deletes them if present (add+delete in one transaction).
std::string remove_table_commands();

// What `nft -a list ruleset` says about rules and base chains.
struct RulesetIndex {
  using ChainKey = std::tuple<std::string, std::string, std::string>;  // family, table, chain
  std::map<std::tuple<std::string, std::string, std::string, uint64_t>, std::string> rules;
  std::map<ChainKey, Hook> base_chains;

  const std::string* rule_text(const std::string& family, const std::string& table,
                               const std::string& chain, uint64_t handle) const;
  Hook hook_of(const std::string& family, const std::string& table, const std::string& chain) const;
};
RulesetIndex parse_ruleset(std::string_view listing);

}  // namespace podnet::probe
