#pragma once
// What a trace probe saw, as plain values: the nftables trace events of each namespace, the
// answer the probe socket got, and the verdict assembled from both. Pure: built by the probe
// (probe.hpp) from kernel messages, and by tests from recorded event lists.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace podnet::probe {

enum class Protocol { tcp, udp, icmp };
std::string_view to_string(Protocol p);

enum class Hook { prerouting, input, forward, output, postrouting, ingress, egress, unknown };
std::string_view to_string(Hook h);
Hook hook_from_name(std::string_view name);  // nft's word ("prerouting"); unknown otherwise

// Which way a traced packet goes relative to the probe.
enum class Direction { request, reply, icmp_error, other };
std::string_view to_string(Direction d);

// A packet as a trace event showed it at that hook: after any NAT done before that point.
// The DSCP the probe's packets carry (IP_TOS / IPV6_TCLASS on its socket): 7, of pool 2
// (xxxx11, local and experimental use). It survives forwarding, VXLAN, DNAT and masquerade, so a
// request whose source port a masquerade changed (fully-random) is still told apart. Replies do
// not carry it (the answering stack picks its own).
inline constexpr uint8_t kProbeDscp = 7;
// Replies do not carry the DSCP: each namespace sets this conntrack mark bit on the probe
// request's entry (chains `mark-ct-*`, after conntrack, before NAT) and traces the packets of
// that entry's reply direction, whatever ports a masquerade gave them.
inline constexpr uint32_t kProbeCtMark = 0x00100000;
inline constexpr std::string_view kConntrackMarkChainPrefix = "mark-ct-";

struct PacketView {
  std::string src, dst;  // addresses ("" when the network header was not in the event)
  uint16_t sport = 0, dport = 0;
  uint8_t dscp = 0;  // the IP header's DSCP (IPv4 TOS or IPv6 traffic class, ECN bits off)
  std::string proto;     // "tcp", "udp", "icmp", "icmpv6", or the number
  std::string detail;    // "SYN", "SYN-ACK", "RST", "echo-request", "port-unreachable", ...
  uint16_t icmp_id = 0;  // echo id
  // For an ICMP error: the packet it quotes (the one that failed), addresses and ports.
  std::string inner_src, inner_dst;
  uint16_t inner_sport = 0, inner_dport = 0;
};

// Decodes the network and transport headers a trace event carries (nfproto: NFPROTO_IPV4/6).
PacketView decode_packet(uint8_t nfproto, const std::vector<uint8_t>& network,
                         const std::vector<uint8_t>& transport);

// One nftables trace event (one rule that matched, or a chain's return or policy).
struct TraceEvent {
  std::string ns;         // the namespace's label
  uint32_t trace_id = 0;  // the kernel's id of the packet (one per skb)
  std::string family;     // "ip", "ip6", "inet", "bridge", "netdev", "arp"
  std::string table, chain;
  Hook hook = Hook::unknown;
  enum class Kind { rule, return_, policy } kind = Kind::rule;
  uint64_t rule_handle = 0;  // rule events only
  std::string rule_text;     // as `nft -a list` prints it, when the rule could be read back
  std::string verdict;       // "accept", "drop", "continue", "jump X", "goto X", "return", ...
  std::string iif, oif;      // interface names (or "if#N" when gone)
  PacketView packet;
  Direction direction = Direction::other;
};
std::string_view to_string(TraceEvent::Kind k);

// Names as nft prints them: a verdict code (NF_* / NFT_*; target: a jump's chain) and a table's
// family (NFPROTO_*).
std::string verdict_name(int32_t code, std::string_view target);
std::string family_name(uint8_t nfproto);
// Gives events of non-base chains (jumped to) the hook of the base chain the packet was in:
// the previous event of the same namespace and trace id with a known hook; else a guess from
// the interfaces (iif only: prerouting, both: forward, oif only: postrouting).
void infer_hooks(std::vector<TraceEvent>& events);

// Turns events as read (in order) into the report's: each gets its hook (infer_hooks); the
// kernel copies a packet's headers and interfaces into the first event of each base chain run
// only, so the later events of that run (chains jumped to included) get them from it; then each
// gets its direction; then what says nothing is left out (the end-of-chain "continue" events
// without a rule, and the policy of podnet-trace's marking chains).
void complete_events(std::vector<TraceEvent>& events, Protocol proto, uint16_t probe_port);

// What came back to the probe socket.
struct Answer {
  enum class Kind {
    none,         // nothing before the timeout
    syn_ack,      // TCP: connected
    rst,          // TCP: refused
    udp_reply,    // UDP: a datagram came back
    echo_reply,   // ICMP echo reply
    icmp_error,   // ICMP error (port/host/net unreachable, prohibited, time exceeded)
    local_error,  // the source namespace refused to send (e.g. no route)
  } kind = Kind::none;
  std::string detail;  // "port unreachable", "Network is unreachable", ...
  std::string from;    // address that answered (ICMP errors: the router that sent it)
};
std::string_view to_string(Answer::Kind k);

struct Verdict {
  bool delivered = false;  // the probe reached its destination (an answer, or seen at input)
  bool answered = false;   // a reply of the destination came back (SYN-ACK, RST, reply, echo)
  std::string where_ns;    // delivered: the namespace it reached; else where it was last seen
  Hook where_hook = Hook::unknown;
  // Dropped by a rule or a chain's policy: that event (table/chain/handle/text).
  std::optional<TraceEvent> dropped_by;
  std::string summary;  // one line, e.g. "delivered to far (tcp SYN-ACK)"
};

// The events of request-direction packets decide where the probe went; the answer decides
// whether it was delivered when tracing lost it (a namespace not traced).
Verdict assemble_verdict(const std::vector<TraceEvent>& events, const Answer& answer);

struct ProbeReport {
  Protocol protocol = Protocol::tcp;
  std::string source, destination;  // addresses as sent
  uint16_t source_port = 0;         // or ICMP echo id: what the trace rules matched
  uint16_t destination_port = 0;
  std::vector<std::string> namespaces;  // labels, in the order given
  // In the order the kernel emitted them across all namespaces (when the probe had to fall back
  // to one trace socket per namespace: grouped by namespace in the order given).
  std::vector<TraceEvent> events;
  Answer answer;
  Verdict verdict;
};

// Direction of a packet relative to a probe with this protocol and source port/echo id.
Direction classify(const PacketView& p, Protocol proto, uint16_t probe_port);

// One line per event, e.g.
// "pod-a  output      inet podnet-trace out  rule #3 meta nftrace set 1  continue
// oif=eth0  10.0.0.2:40000 -> 10.0.1.3:80 tcp SYN"
std::string format_event(const TraceEvent& e);
std::string format_packet(const PacketView& p);
// The whole report: a header, the events under the namespace they happened in (a new heading
// each time the packet changes namespace), the namespaces without events, the answer, the verdict.
std::string format_report(const ProbeReport& r);
nlohmann::json to_json(const ProbeReport& r);

}  // namespace podnet::probe
