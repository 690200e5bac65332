#pragma once
// Which conntrack entries a Service change makes stale (pure). Only UDP: a TCP flow to a gone
// endpoint fails visibly, a UDP client keeps sending into the old NAT binding forever.
#include <optional>
#include <vector>

#include "podnet/proxy/model.hpp"

namespace podnet::proxy {

// Entries to delete: all set fields must match.
struct ConntrackFilter {
  Protocol protocol = Protocol::udp;
  std::optional<net::IpAddress> orig_dst;  // unset: any (NodePorts: any node address)
  uint16_t orig_dport = 0;
  std::optional<net::IpAddress> reply_src;  // the gone endpoint
  uint16_t reply_sport = 0;                 // 0: any
  bool only_not_dnat = false;               // entries that cached a reject (never translated)
  friend bool operator==(const ConntrackFilter&, const ConntrackFilter&) = default;
};

// One conntrack entry as the filter sees it.
struct ConntrackFlow {
  Protocol protocol = Protocol::udp;
  net::IpAddress orig_src, orig_dst, reply_src;
  uint16_t orig_dport = 0, reply_sport = 0;
  bool dnat = false;
};

// old/now: the service before and after (nullptr: absent). Endpoints that disappeared give
// filters on (service, gone endpoint); a port that gets its first endpoint gives a filter on
// its untranslated entries.
std::vector<ConntrackFilter> conntrack_cleanup(const Service* old, const Service* now);

bool matches(const ConntrackFilter& f, const ConntrackFlow& flow);

}  // namespace podnet::proxy
