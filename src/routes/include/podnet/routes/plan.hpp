#pragma once
// The node agent's route plan: what routes, neighbours and FDB entries this node needs to reach
// every other node's pod subnet (VXLAN overlay or direct host-gw routes), and the ordered actions
// that turn the kernel's current podnet-owned state into that. Pure, no I/O.
//
// Ownership (DESIGN.md invariant "everything podnet creates is recognisable"):
//  - routes: protocol kRouteProtocol (80), shown as "proto 80" by `ip route`; nothing else of
//    the routing table is ever listed for deletion;
//  - neighbours and FDB entries: only those on the podnet VTEP device "podnet.<vni>".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/sys/mac.hpp"
#include "podnet/sys/netlink.hpp"

namespace podnet::routes {

// Route protocol number of every route podnetd installs (rtm_protocol). 80 is unassigned in
// /etc/iproute2/rt_protos (kernel: 0-4, routing daemons: 9-19, 42, 186-188, 192...), so a route
// with it is podnet's and only podnet's; `ip route show proto 80` lists them.
inline constexpr uint8_t kRouteProtocol = 80;
// VXLAN over IPv4 overhead: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14.
inline constexpr uint32_t kVxlanOverheadV4 = 50;
inline constexpr uint16_t kDefaultVxlanPort = 8472;  // flannel's / Linux's legacy port

enum class Backend { vxlan, host_gw };

// "podnet.<vni>", e.g. "podnet.1" (at most 15 characters for any 24-bit VNI).
std::string vtep_name(uint32_t vni);

struct Peer {
  std::string name;
  net::IpAddress internal_ip;        // underlay address
  net::Prefix pod_cidr;              // e.g. 192.168.2.0/24
  std::optional<sys::Mac> vtep_mac;  // vxlan: required
};

struct Self {
  std::string name;
  net::IpAddress internal_ip;
  net::Prefix pod_cidr;
  int underlay_ifindex = 0;
  uint32_t underlay_mtu = 1500;
  // The underlay interface's addresses with their prefix length (10.1.1.1/24): host-gw checks
  // every peer is on-link from one of them.
  std::vector<net::Prefix> underlay_addrs;
  sys::Mac vtep_mac;  // persisted by the agent, so restarts keep it
};

struct NeighWant {
  net::IpAddress ip;  // remote subnet network address
  sys::Mac mac;       // remote VTEP MAC
  friend bool operator==(const NeighWant&, const NeighWant&) = default;
};

struct FdbWant {
  sys::Mac mac;        // remote VTEP MAC
  net::IpAddress dst;  // remote underlay IP
  friend bool operator==(const FdbWant&, const FdbWant&) = default;
};

struct WantedState {
  Backend backend = Backend::vxlan;
  net::Family family = net::Family::v4;     // of the pod addresses (routes, neighbours)
  std::optional<sys::VxlanSpec> vtep;       // vxlan only
  std::optional<net::Prefix> vtep_address;  // vxlan only: own subnet network address /32
  std::vector<NeighWant> neighs;            // vxlan only
  std::vector<FdbWant> fdb;                 // vxlan only
  // vxlan: ifindex 0 = "the VTEP", filled in by diff from CurrentState::vtep_ifindex.
  std::vector<sys::Route> routes;
};

// host-gw: the reason `peer` cannot be reached directly (not inside any of self's underlay
// subnets), e.g. "peer lxb009 10.2.0.9 is not on-link from 10.1.1.0/24: ..."; nullopt when it can.
std::optional<std::string> host_gw_unreachable(const Self& self, const Peer& peer);

struct VxlanOptions {
  uint32_t vni = 1;
  uint16_t port = kDefaultVxlanPort;
  // flannel's DirectRouting: peers on-link from the underlay get a direct route (as host-gw)
  // and no neighbour/FDB entry; only the others go through the VTEP.
  bool direct_routing = false;
};

// Errors: peer without a VTEP MAC (vxlan, unless routed directly), peer of another address
// family, peer whose subnet overlaps our own, host-gw peer not on-link.
Result<WantedState> plan(const Self& self, const std::vector<Peer>& peers, Backend backend,
                         const VxlanOptions& vxlan = {});

// What the kernel has that podnet owns: routes with kRouteProtocol in the main table and the
// neighbour / FDB entries on the VTEP (empty when there is no VTEP).
struct CurrentState {
  int vtep_ifindex = 0;
  std::vector<sys::Route> routes;
  std::vector<sys::Neigh> neighs;
  std::vector<sys::FdbEntry> fdb;
};

enum class Op { add, replace, remove };
enum class Object { neigh, fdb, route };

struct Action {
  Op op = Op::add;
  Object object = Object::route;
  sys::Route route;         // object == route
  int ifindex = 0;          // neigh / fdb: the VTEP
  NeighWant neigh;          // object == neigh (remove: mac unused)
  FdbWant fdb;              // object == fdb (remove: dst as listed)
  std::string str() const;  // for logs: "add route 192.168.2.0/24 via 192.168.2.0 dev 7 onlink"
};

// Ordered actions (for vxlan, current.vtep_ifindex must name the VTEP): first removals (route ->
// fdb -> neighbour, so no route points at a vanished neighbour), then additions/replacements
// (neighbour -> fdb -> route, flannel's order). Entries already as wanted produce nothing; entries
// not owned by podnet never appear (routes of other protocols in `current` are ignored).
std::vector<Action> diff(const WantedState& wanted, const CurrentState& current);

}  // namespace podnet::routes
