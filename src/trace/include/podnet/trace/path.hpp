#pragma once
// The predicted path of one packet, assembled from recorded kernel facts (facts.hpp): hop by
// hop the namespace it is in, what happens to it there and the kernel object that decided it
// (the route, the map element, the rule), then the verdict. Pure, no I/O: when a fact is
// missing, assemble() names it, the reader fetches it and calls again.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "podnet/trace/facts.hpp"

namespace podnet::trace {

struct Packet {
  net::IpAddress dst;
  std::optional<net::IpAddress> src;  // none: the kernel picks (node and ext sources)
  Proto proto = Proto::icmp;
  uint16_t port = 0;  // tcp/udp destination port
};

struct TraceQuery {
  std::string from_netns;  // where the packet is sent from
  Packet packet;
};

struct Hop {
  int n = 0;          // 1-based
  std::string netns;  // kernel name
  std::string where;  // the namespace as the user names it: pod/web-x, node/lxb001, ext
  std::string step;   // route, veth, vxlan, underlay, dnat, snat, deliver, drop
  std::string what;   // what happened
  std::string by;     // the object that decided it
};

struct Verdict {
  bool delivered = false;
  int hop = 0;         // the hop that delivered or dropped it
  std::string where;   // its namespace (user's name)
  std::string reason;  // "delivered to 192.168.2.3" / "no route to 192.168.2.3: ..."
};

struct Path {
  std::vector<Hop> hops;
  Verdict verdict;
  Packet delivered_as;  // the packet as it was last seen (after DNAT/SNAT)
};

std::variant<Path, FactRequest> assemble(const TraceQuery& q, const Facts& f);

// Masquerade rules as `nft list chain` prints them ("ip saddr 192.168.1.0/24 ip daddr
// 192.168.0.0/16 return", "... masquerade"): the first rule matching (src, dst) and its
// verdict; nullopt when none matches (the chain's policy accept: no NAT). Rules this matcher
// does not understand are skipped.
struct MasqMatch {
  std::string rule;
  bool masquerade = false;
};
std::optional<MasqMatch> match_masq(const std::vector<std::string>& rules,
                                    const net::IpAddress& src, const net::IpAddress& dst);
// The rule lines of one chain in `nft list chain` output (no braces, no type/policy line).
std::vector<std::string> chain_rules(std::string_view nft_listing);

}  // namespace podnet::trace
