#pragma once
// The walk behind assemble(): one packet through the namespaces the facts describe, one kernel
// decision per hop. Private to podnet_trace; split by what a hop crosses (path.cpp: routes,
// veths, NAT; walk_vxlan.cpp: the overlay; walk_bridge.cpp: a node's bridge).
#include <optional>
#include <string>

#include "podnet/trace/path.hpp"

namespace podnet::trace::detail {

// Thrown by Lookup when Facts lacks something; assemble() turns it into the FactRequest.
struct Missing {
  FactRequest request;
};

// Fact lookups that unwind to assemble() with the request when Facts lacks it.
struct Lookup {
  const Facts& f;
  const Namespace& ns(const std::string& name) const;
  const RouteFact& route(const RouteKey& k) const;
  const PeerFact& peer(const PeerKey& k) const;
  const VxlanFact& vxlan(const std::string& netns, const std::string& dev) const;
  const BridgeFact& bridge(const std::string& netns, const std::string& dev) const;
  const NatFact& nat(const NatKey& k) const;
  const MasqFact& masq(const std::string& netns) const;
};

std::string endpoint_str(const net::IpAddress& ip, Proto p, uint16_t port);

class Walk {
 public:
  Walk(const TraceQuery& q, const Facts& f) : q_(q), f_(f), get_{f} {}
  Path run();

 private:
  // Where a packet came out of a veth pair: the namespace and the link it entered by.
  struct Arrival {
    const Namespace* ns = nullptr;
    const Link* in = nullptr;
  };
  // Where the walk goes on: a namespace and the link the packet is received on there.
  struct Next {
    std::string netns, iif;
  };

  bool service_masquerades(const NatFact& nat) const;
  std::optional<std::string> cluster_route_problem(const Namespace& ns, const RouteFact& r,
                                                   const Link& out);
  // The veth `out` to its peer: the hop, or a drop (nullopt).
  std::optional<Arrival> cross_veth(const Namespace& ns, const Link& out);
  // walk_vxlan.cpp: encapsulation toward `nexthop`; the far node's netns, or none after a drop.
  std::optional<std::string> vxlan_hop(const Namespace& ns, const Link& dev,
                                       const net::IpAddress& nexthop);
  // walk_bridge.cpp: a frame arriving on a.in, addressed (by ARP) to `l2dst`: through the
  // bridge a.in is a port of (switched to another port, or up to the IP stack), or received
  // on a.in itself. None after a drop.
  std::optional<Next> enter(const Arrival& a, const net::IpAddress& l2dst);
  // The bridge `br` switches a frame for `l2dst` (from port `ingress`, or sent by the bridge
  // device itself when null) to the port of the pod holding it, and on through its veth.
  std::optional<Arrival> switch_frame(const Namespace& ns, const Link& br, const Link* ingress,
                                      const net::IpAddress& l2dst);
  // A port the bridge would not forward to or from: the bridge or the port down, or the port
  // not forwarding. `owner` prefixes the port ("pod/web-x's ").
  static std::optional<std::string> port_problem(const Link& br, const Link& port,
                                                 const std::string& owner);

  static std::optional<net::IpAddress> first_v4(const Link& l);
  static std::optional<net::IpAddress> masquerade_source(const Namespace& ns, const Link& out);
  static std::string down_links(const Namespace& ns);

  void hop(const Namespace& ns, std::string step, std::string what, std::string by);
  Path drop(const Namespace& ns, std::string step, std::string why, std::string by);
  Path finish(bool delivered, std::string reason);

  const TraceQuery& q_;
  const Facts& f_;
  Lookup get_;
  Packet pkt_;
  Path path_;
};

}  // namespace podnet::trace::detail
