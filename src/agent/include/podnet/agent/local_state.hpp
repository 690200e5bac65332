#pragma once
// What podnetd keeps between runs (state-dir files) and reads back from the store's subnet
// leases. Pure parsing, no I/O.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/objects.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/sys/mac.hpp"

namespace podnet::agent {

inline constexpr std::string_view kSubnetFile = "subnet";     // "192.168.4.0/24\n"
inline constexpr std::string_view kVtepMacFile = "vtep-mac";  // "aa:bb:cc:dd:ee:ff\n"
inline constexpr std::string_view kConflistName = "10-podnet.conflist";

// The file's text with surrounding whitespace ignored; nullopt when it does not parse (a
// damaged file is treated as absent: the store decides).
std::optional<net::Prefix> parse_subnet_state(std::string_view text);
std::optional<sys::Mac> parse_mac_state(std::string_view text);

// The VTEP MAC of a node without a recorded one: stable for its name.
sys::Mac default_vtep_mac(std::string_view node);

struct LeaseEntry {
  std::string key;
  cluster::SubnetLease lease;
  long long mod_revision = 0;
  long long lease_id = 0;
};
// Store listing of /podnet/subnets/ (key -> value, revisions) -> leases; malformed entries are
// returned in `bad` ("key: reason"), not as leases. A lease whose key and cidr disagree is bad.
struct LeaseListing {
  std::vector<LeaseEntry> leases;
  std::vector<std::string> bad;
};
struct RawEntry {
  std::string key;
  std::string value;
  long long mod_revision = 0;
  long long lease_id = 0;
};
LeaseListing parse_leases(const std::vector<RawEntry>& entries);

}  // namespace podnet::agent
