#pragma once
// What `podnetctl trace` knows about the kernel, as plain values: per network namespace its
// links, the kernel's answers to route lookups, veth peers, bridges (ports, FDB), VXLAN
// neighbour/FDB entries, the Service DNAT map elements and the masquerade rules. The system reader
// (kernel_facts.hpp) fills them from the kernel; unit tests write them by hand. Pure, no I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "podnet/net/ip.hpp"

namespace podnet::trace {

enum class Proto : uint8_t { tcp = 6, udp = 17, icmp = 1 };
std::string_view to_string(Proto p);

// Which kind of host a namespace is: decides which checks apply there (Service DNAT and
// masquerade only on nodes).
enum class Role : uint8_t { pod, node, ext };

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // veth, vxlan, bridge, ""
  bool up = false;   // IFF_UP
  int master = 0;
  int peer = 0;  // veth: the peer's ifindex (in the peer namespace)
  std::string mac;
  uint32_t mtu = 0;
  uint32_t vni = 0;                // vxlan
  std::vector<net::Prefix> addrs;  // IPv4 addresses with their length
  // A bridge port (master is a bridge): its STP state as `bridge link` names it ("forwarding",
  // "disabled", "blocking", "listening", "learning"); empty when the link is no bridge port.
  std::string port_state;
  bool hairpin = false;
  bool holds(const net::IpAddress& a) const;  // one of addrs is a
};

struct Namespace {
  std::string netns;  // kernel name: <lab>-lxb001, <lab>-pod-web-x
  std::string label;  // how the user names it: pod/web-x, node/lxb001, ext
  Role role = Role::pod;
  std::string node;      // pods: the node netns their eth0's peer lives in
  std::string underlay;  // nodes and ext: the link on the lab switch ("eth0")
  std::vector<Link> links;
  const Link* link(int index) const;
  const Link* link(std::string_view name) const;
};

// One RTM_GETROUTE as asked: the packet (dst, src) sent from the namespace or, with iif,
// received on that link.
struct RouteKey {
  std::string netns;
  net::IpAddress dst;
  std::optional<net::IpAddress> src;
  std::string iif;
  friend auto operator<=>(const RouteKey&, const RouteKey&) = default;
};

// The kernel's answer: the matching route (RTM_F_FIB_MATCH) or the error it gave.
struct RouteFact {
  std::string error;  // "Network is unreachable" ...; empty: a route matched
  net::Prefix prefix;
  bool local = false;  // RTN_LOCAL: the address is this namespace's own
  std::optional<net::IpAddress> gw;
  int oif = 0;
  std::string
      text;  // the route as `ip route` lists it: "192.168.2.0/24 via ... dev podnet.1 onlink"
  std::optional<net::IpAddress> prefsrc;  // the source the kernel picks (sent from here)
};

// Where a veth's other end is: its namespace and ifindex there; netns empty when not found.
struct PeerKey {
  std::string netns;
  int ifindex = 0;
  friend auto operator<=>(const PeerKey&, const PeerKey&) = default;
};
struct PeerFact {
  std::string netns;
  int ifindex = 0;
};

// The VXLAN device's programmed entries (podnetd's: permanent, no learning).
struct VxlanNeigh {
  net::IpAddress ip;
  std::string mac;  // empty: incomplete
};
struct VxlanFdb {
  std::string mac;
  std::optional<net::IpAddress> dst;  // remote VTEP
};
struct VxlanFact {
  std::vector<VxlanNeigh> neighs;
  std::vector<VxlanFdb> fdb;
};

// A bridge's forwarding database and whether the frames it switches pass the ip hooks.
struct BridgeFdb {
  std::string mac;
  int port = 0;       // ifindex of the port (the bridge's own for its own address)
  std::string state;  // as `bridge fdb` shows it: "permanent" (local: the bridge's or a port's
                      // own), "static", "stale", "" (learned)
};
struct BridgeFact {
  std::vector<BridgeFdb> fdb;
  // br_netfilter: switched IPv4 frames go through the node's ip hooks (conntrack, NAT) when the
  // bridge's nf_call_iptables or the namespace's net.bridge.bridge-nf-call-iptables is on; none
  // when the kernel has no br_netfilter (no net.bridge sysctls).
  std::optional<bool> netfilter;
  const BridgeFdb* find(std::string_view mac) const;
};

// The Service dispatch a packet to (dst, proto, port) meets in a node's nat hooks.
struct NatKey {
  std::string netns;
  net::IpAddress dst;
  Proto proto = Proto::tcp;
  uint16_t port = 0;
  friend auto operator<=>(const NatKey&, const NatKey&) = default;
};
struct NatEndpoint {
  net::IpAddress ip;
  uint16_t port = 0;
  std::string element;  // "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.1.2 . 8080"
};
enum class NatAction : uint8_t { none, dnat, reject, drop };
struct NatFact {
  NatAction action = NatAction::none;
  std::string service;  // "default/web" when known
  std::string element;  // the dispatch element: "service-ips: 10.96.0.10 . tcp . 80 : goto pick-2"
  std::string chain;    // its target chain: pick-2, np-pick-2, npl-1-2, reject-service
  bool nodeport = false;
  bool cluster_ip = false;  // dst is a ClusterIP (in cluster-ips) even without a port element
  bool table = false;       // podnetd's service table is there (its service-checks apply)
  std::vector<NatEndpoint> endpoints;  // the endpoints the DNAT may pick, in map order
};

// A node's egress masquerade: the rules of podnetd's `ip podnet` postrouting chain, as listed.
struct MasqFact {
  bool table = false;
  std::vector<std::string> rules;
};

// What the resolver knows from the store and the lab, to name things and to say where a
// packet should have gone (the kernel decides where it goes).
struct Cluster {
  std::optional<net::Prefix> cluster_cidr;
  std::optional<net::Prefix> service_cidr;
  std::map<net::Prefix, std::string> pod_subnets;  // node subnet -> node netns
  std::map<net::IpAddress, std::string> underlay;  // underlay address -> node/ext netns
  std::map<net::IpAddress, std::string> pods;      // pod IP -> pod netns
};

struct Facts {
  Cluster cluster;
  std::map<std::string, Namespace> namespaces;
  std::map<RouteKey, RouteFact> routes;
  std::map<PeerKey, PeerFact> peers;
  std::map<std::pair<std::string, std::string>, VxlanFact> vxlan;     // (netns, device)
  std::map<std::pair<std::string, std::string>, BridgeFact> bridges;  // (netns, bridge)
  std::map<NatKey, NatFact> nat;
  std::map<std::string, MasqFact> masq;  // node netns
};

// A fact the assembler needs and Facts lacks: the reader fetches it and asks again.
struct NeedNamespace {
  std::string netns;
};
struct NeedVxlan {
  std::string netns, device;
};
struct NeedMasq {
  std::string netns;
};
struct NeedBridge {
  std::string netns, device;
};
using FactRequest =
    std::variant<NeedNamespace, RouteKey, PeerKey, NeedVxlan, NatKey, NeedMasq, NeedBridge>;
std::string describe(const FactRequest& r);

}  // namespace podnet::trace
