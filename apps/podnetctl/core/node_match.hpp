#pragma once
// `podnetctl inspect node`: what podnetd would program on a node (the route plan fed with the
// store's nodes) against what the node's kernel holds, as rows a reader of `ip route`,
// `ip neigh` and `bridge fdb` recognises. "Matches" means exactly what the route manager means:
// the rows come from routes::diff, so an entry shown as present is one podnetd would leave
// alone, and every missing/different/stale row is an action its next reconcile would take.
// Pure, no I/O.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/routes/plan.hpp"

namespace podnet::ctl {

enum class EntryState {
  present,    // in the kernel as planned
  missing,    // planned, not in the kernel (podnetd would add it)
  different,  // in the kernel with other attributes (podnetd would replace it)
  stale,      // podnet-owned in the kernel, explained by no store entry (podnetd would remove it)
};
std::string_view to_string(EntryState s);

struct EntryRow {
  std::string kind;  // "route", "neigh", "fdb", "vtep", "rule", "service"
  EntryState state = EntryState::present;
  std::string expected;  // what podnet plans ("" for stale)
  std::string actual;    // what the kernel has ("" when missing)
};

struct PeerMatch {
  std::string name;
  std::string internal_ip;
  std::string pod_cidr;
  bool direct = false;  // unencapsulated route via the underlay (host-gw, vxlan directRouting)
  std::vector<EntryRow> rows;
};

struct NodeMatch {
  std::vector<PeerMatch> peers;  // in the plan's (store key) order
  std::vector<EntryRow> stale;   // podnet-owned kernel entries no peer explains
};

// ifindex -> link name, for "dev podnet.1" instead of "dev 7".
using LinkNames = std::map<int, std::string>;

// In `ip route` / `ip neigh` / `bridge fdb` words.
std::string route_text(const sys::Route& r, const LinkNames& names);
std::string neigh_text(const sys::Neigh& n, const LinkNames& names);
std::string fdb_text(const sys::FdbEntry& e, const LinkNames& names);

// `current` as RouteManager::read_current returns it for `wanted`. Peers are those the plan
// was made from (their names and addresses label the rows).
NodeMatch match_node(const routes::WantedState& wanted, const std::vector<routes::Peer>& peers,
                     const routes::CurrentState& current, const LinkNames& names);

// The VTEP as the kernel has it (vxlan). nullopt members: not readable.
struct VtepFacts {
  bool exists = false;
  std::string kind;  // "vxlan" expected
  std::string mac;
  uint32_t mtu = 0;
  bool up = false;
  std::optional<uint32_t> vni, port;
  std::optional<uint32_t> dev;  // lower device ifindex
  std::optional<net::IpAddress> local;
  std::vector<net::Prefix> addrs;  // its IPv4 addresses
};

// One row per attribute podnetd sets on the VTEP (kind, vni, port, local, dev, mac, mtu, up,
// address): present when equal, different (with both values) when not, one missing row when
// the device is absent. The comparisons are the ones RouteManager::ensure_vtep makes.
std::vector<EntryRow> match_vtep(const sys::VxlanSpec& want, const net::Prefix& want_addr,
                                 const VtepFacts& got, const LinkNames& names);

// Rules of a table as `nft list table` prints them vs the rules planned (both nft text): one
// row per planned rule (present/missing) and one per extra rule (stale). Lines are compared
// with whitespace collapsed; `table`, `chain`, `type ...` and brace lines are not rules.
std::vector<EntryRow> match_rules(std::string_view planned_text, std::string_view listed_text);
// The rule lines of nft text (see match_rules).
std::vector<std::string> rule_lines(std::string_view nft_text);

// True when every row is present.
bool all_present(const std::vector<EntryRow>& rows);
bool all_present(const NodeMatch& m);

}  // namespace podnet::ctl
