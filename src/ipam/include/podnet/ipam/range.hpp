#pragma once
// Address ranges and range sets as host-local defines them, and its round-robin iteration
// order. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podnet/net/ip.hpp"

namespace podnet::ipam {

struct Range {
  net::Prefix subnet;         // masked (network address, length)
  net::IpAddress start, end;  // inclusive bounds of what may be handed out
  net::IpAddress gateway;
  std::string field;  // where it came from, e.g. "ipam.ranges[0][1]", for messages

  // start <= ip <= end (same family), host-local's IPInRange.
  bool contains(const net::IpAddress& ip) const;
  // Never handed out even inside [start, end]: the gateway, the network address and the
  // IPv4 broadcast address.
  bool reserved_address(const net::IpAddress& ip) const;
  bool allocatable(const net::IpAddress& ip) const { return contains(ip) && !reserved_address(ip); }
  // Number of allocatable addresses (saturating at UINT64_MAX).
  uint64_t allocatable_count() const;
  bool overlaps(const Range& o) const;
};

struct RangeSet {
  std::vector<Range> ranges;  // non-empty, one family, non-overlapping
  std::string field;          // e.g. "ipam.ranges[1]"

  const Range* range_for(const net::IpAddress& ip) const;
  bool contains(const net::IpAddress& ip) const { return range_for(ip) != nullptr; }
  bool overlaps(const RangeSet& o) const;
  uint64_t allocatable_count() const;  // saturating
  net::Family family() const { return ranges.front().subnet.family(); }
  std::string str() const;  // "10.1.0.0/24, 10.2.0.0/24"
};

// host-local's RangeIter: starts right after the last reserved address when that lies in
// the set, else at the first range's start; walks each range start..end, moves to the next
// range (wrapping) and stops when back at its first candidate. Skips reserved addresses.
class RangeIter {
 public:
  RangeIter(const RangeSet& set, const std::optional<net::IpAddress>& last_reserved);
  struct Candidate {
    net::IpAddress ip;
    const Range* range;
  };
  std::optional<Candidate> next();

 private:
  const RangeSet& set_;
  size_t idx_ = 0;
  std::optional<net::IpAddress> cur_;
  std::optional<net::IpAddress> first_;  // where iteration started; reaching it again ends it
};

}  // namespace podnet::ipam
