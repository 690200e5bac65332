#pragma once
// The node's underlay as podnetd last read it, and what changed between two readings (podnetd
// re-reads it while running: an MTU raised for jumbo frames, an address moved by DHCP or by the
// operator, the interface re-created). Pure, no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "podnet/net/ip.hpp"

namespace podnet::agent {

struct Underlay {
  int ifindex = 0;
  uint32_t mtu = 0;
  net::IpAddress ip;               // the node IP
  std::vector<net::Prefix> addrs;  // the interface's addresses of the node IP's family
  friend bool operator==(const Underlay&, const Underlay&) = default;
};

// "MTU 1500 -> 9000, address 10.1.1.11 -> 10.1.1.21" for the log; empty when nothing changed.
std::string underlay_change(const Underlay& before, const Underlay& after);

}  // namespace podnet::agent
