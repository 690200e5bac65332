// The podnet-trace table's text and the reading of nft's ruleset listing.
#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "podnet/probe/trace_rules.hpp"

namespace podnet::probe {

namespace {
std::string table_ref() {
  return fmt::format("{} {}", kTraceTableFamily, kTraceTableName);
}
std::string bridge_table_ref() {
  return fmt::format("bridge {}", kTraceTableName);
}

// Matches once per rule (per namespace): a bucket of one packet refilled once an hour.
constexpr std::string_view kFirstOnly = "limit rate 1/hour burst 1 packets";

// The rule bodies that set nftrace on the probe's packets, as seen in any namespace.
std::vector<std::string> match_rules(const ProbeMatch& m) {
  std::vector<std::string> r;
  uint16_t p = m.port;
  // By port (echo id), then the request by its DSCP, for after a masquerade changed the port.
  const auto d = kProbeDscp;
  switch (m.protocol) {
    case Protocol::tcp:
      // The first SYN and the first SYN-ACK or RST back only: not the ACK that completes the
      // handshake, nor retransmissions (a SYN that waited for neighbour resolution is sent
      // again after a second, and answered twice).
      r.push_back(fmt::format("tcp sport {} tcp flags & (syn | ack) == syn {}", p, kFirstOnly));
      r.push_back(fmt::format("tcp dport {} tcp flags & (syn | rst) != 0 {}", p, kFirstOnly));
      for (const char* l3 : {"ip", "ip6"})
        r.push_back(fmt::format("{} dscp {} tcp flags & (syn | ack) == syn {}", l3, d, kFirstOnly));
      break;
    case Protocol::udp:
      r.push_back(fmt::format("udp sport {}", p));
      r.push_back(fmt::format("udp dport {}", p));
      r.push_back(fmt::format("ip dscp {} ip protocol udp", d));
      r.push_back(fmt::format("ip6 dscp {} ip6 nexthdr udp", d));
      break;
    case Protocol::icmp:
      r.push_back(fmt::format("icmp type {{ echo-request, echo-reply }} icmp id {}", p));
      r.push_back(fmt::format("icmpv6 type {{ echo-request, echo-reply }} icmpv6 id {}", p));
      r.push_back(fmt::format("ip dscp {} icmp type echo-request", d));
      r.push_back(fmt::format("ip6 dscp {} icmpv6 type echo-request", d));
      break;
  }
  // ICMP errors quoting the probe: the quoted packet's source port (or echo id, 4 bytes further)
  // follows the 8-byte ICMP header and the quoted IP header (20 bytes IPv4, 40 IPv6).
  unsigned extra = m.protocol == Protocol::icmp ? 32 : 0;
  r.push_back(fmt::format("icmp type {{ destination-unreachable, time-exceeded }} @th,{},16 {}",
                          224 + extra, p));
  r.push_back(fmt::format(
      "icmpv6 type {{ destination-unreachable, packet-too-big, time-exceeded }} @th,{},16 {}",
      384 + extra, p));
  return r;
}
}  // namespace

std::string remove_table_commands() {
  return fmt::format("add table {0}\ndelete table {0}\nadd table {1}\ndelete table {1}\n",
                     table_ref(), bridge_table_ref());
}

std::string delete_table_commands() {
  return fmt::format("delete table {}\ndelete table {}\n", table_ref(), bridge_table_ref());
}

std::string trace_table_commands(const ProbeMatch& m) {
  std::string out = remove_table_commands();
  auto chain = [&](const std::string& t, std::string_view name, std::string_view hook,
                   int priority) {
    out += fmt::format("add chain {} {} {{ type filter hook {} priority {}; policy accept; }}\n", t,
                       name, hook, priority);
  };
  auto marks = [&](const std::string& t, std::string_view name) {
    for (const auto& rule : match_rules(m))
      out += fmt::format("add rule {} {} {} meta nftrace set 1\n", t, name, rule);
  };
  std::string t = table_ref();
  out += fmt::format("add table {}\n", t);
  // -350: before conntrack (-200), DNAT (-100) and every filter, so the first event of each
  // namespace shows the packet as it arrived or was sent.
  for (auto [name, hook] :
       {std::pair{"mark-prerouting", "prerouting"}, {"mark-output", "output"}}) {
    chain(t, name, hook, -350);
    marks(t, name);
  }
  // After conntrack (-200), before NAT (-100): the probe request marks its conntrack entry, and
  // that entry's replies are traced, also when a masquerade changed their ports.
  const std::string ct_mark = fmt::format("0x{:08x}", kProbeCtMark);
  std::string reply_match = fmt::format("ct direction reply ct mark & {0} == {0}", ct_mark);
  if (m.protocol == Protocol::tcp)
    reply_match += fmt::format(" tcp flags & (syn | rst) != 0 {}", kFirstOnly);
  for (auto [name, hook] :
       {std::pair{"prerouting", "prerouting"}, {"output", "output"}}) {
    const std::string chain_name = fmt::format("{}{}", kConntrackMarkChainPrefix, name);
    chain(t, chain_name, hook, -150);
    for (const char* l3 : {"ip", "ip6"})
      out += fmt::format(
          "add rule {} {} {} dscp {} ct direction original ct mark set ct mark | {}\n", t,
          chain_name, l3, kProbeDscp, ct_mark);
    out += fmt::format("add rule {} {} {} meta nftrace set 1\n", t, chain_name, reply_match);
  }
  // Empty chains after everything else (NAT is at 100): their policy events say the packet got
  // that far, with its addresses after DNAT and masquerade.
  for (auto hook : {"input", "forward", "postrouting"})
    chain(t, fmt::format("seen-{}", hook), hook, 500);
  // Frames a bridge switches between its ports (pod to pod on one node) reach the inet hooks
  // only with br_netfilter: the bridge family marks and sees them either way. seen-output shows
  // the port the bridge sends the node's own (routed) frames out of.
  std::string b = bridge_table_ref();
  out += fmt::format("add table {}\n", b);
  chain(b, "mark-prerouting", "prerouting", -350);
  marks(b, "mark-prerouting");
  chain(b, "seen-forward", "forward", 500);
  chain(b, "seen-output", "output", 500);
  return out;
}

const std::string* RulesetIndex::rule_text(const std::string& family, const std::string& table,
                                           const std::string& chain, uint64_t handle) const {
  auto it = rules.find({family, table, chain, handle});
  return it == rules.end() ? nullptr : &it->second;
}

Hook RulesetIndex::hook_of(const std::string& family, const std::string& table,
                           const std::string& chain) const {
  auto it = base_chains.find({family, table, chain});
  return it == base_chains.end() ? Hook::unknown : it->second;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) w.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}
}  // namespace

RulesetIndex parse_ruleset(std::string_view listing) {
  RulesetIndex idx;
  // Blocks: table (depth 1) > chain/set/map/... (depth 2). Only chains hold rules.
  std::string family, table, chain;
  int depth = 0;
  bool in_chain = false;
  size_t pos = 0;
  while (pos < listing.size()) {
    size_t nl = listing.find('\n', pos);
    std::string_view line =
        trim(listing.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? listing.size() : nl + 1;
    if (line.empty()) continue;
    if (line == "}") {
      if (depth > 0) --depth;
      if (depth < 2) in_chain = false;
      continue;
    }
    auto w = words(line);
    bool opens = line.find('{') != std::string_view::npos;
    if (depth == 0 && w.size() >= 3 && w[0] == "table" && opens) {
      family = w[1];
      table = unquote(w[2]);
      depth = 1;
      continue;
    }
    if (depth == 1 && w.size() >= 2 && opens) {
      // chain NAME {, set NAME {, map NAME {, flowtable NAME {, ...
      in_chain = w[0] == "chain";
      chain = in_chain ? unquote(w[1]) : "";
      // A one-line block ("set s { ... }") closes on its own line.
      if (line.back() != '}') depth = 2;
      continue;
    }
    if (depth != 2 || !in_chain) continue;
    if (w.size() >= 4 && w[0] == "type" && w[2] == "hook") {
      idx.base_chains[{family, table, chain}] = hook_from_name(w[3]);
      continue;
    }
    auto mark = line.rfind("# handle ");
    if (mark == std::string_view::npos) continue;
    std::string_view num = line.substr(mark + 9);
    uint64_t handle = 0;
    if (std::from_chars(num.data(), num.data() + num.size(), handle).ec != std::errc{}) continue;
    idx.rules[{family, table, chain, handle}] = std::string(trim(line.substr(0, mark)));
  }
  return idx;
}

}  // namespace podnet::probe
