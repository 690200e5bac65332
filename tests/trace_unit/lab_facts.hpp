#pragma once
// Recorded kernel facts of a small lab, as `podnetctl trace` reads them: nodes lxb001
// (10.1.1.15, 192.168.1.0/24) and lxb002 (10.1.1.16, 192.168.2.0/24), the outside host ext
// (10.1.1.1, 203.0.113.1), pods a and b on lxb001, c on lxb002. Tests add the route lookups
// of their scenario; run() fills Service and masquerade facts nobody recorded with "nothing
// there" and fails on any other missing fact.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <tuple>

#include "podnet/trace/path.hpp"

namespace podnet::trace::testing {

inline net::IpAddress ip(std::string_view s) {
  return *net::IpAddress::parse(s);
}
inline net::Prefix pfx(std::string_view s) {
  return *net::Prefix::parse(s);
}

inline const char* kA = "t-pod-a";
inline const char* kB = "t-pod-b";
inline const char* kC = "t-pod-c";
inline const char* kN1 = "t-lxb001";
inline const char* kN2 = "t-lxb002";
inline const char* kExt = "t-ext";
inline const char* kMac1 = "02:00:00:00:01:00";
inline const char* kMac2 = "02:00:00:00:02:00";

struct LabFacts {
  Facts f;

  LabFacts() {
    f.cluster.cluster_cidr = pfx("192.168.0.0/16");
    f.cluster.service_cidr = pfx("10.96.0.0/12");
    f.cluster.pod_subnets = {{pfx("192.168.1.0/24"), kN1}, {pfx("192.168.2.0/24"), kN2}};
    f.cluster.underlay = {{ip("10.1.1.15"), kN1}, {ip("10.1.1.16"), kN2}, {ip("10.1.1.1"), kExt}};
    f.cluster.pods = {{ip("192.168.1.2"), kA}, {ip("192.168.1.3"), kB}, {ip("192.168.2.2"), kC}};
    pod(kA, "pod/a", kN1, "192.168.1.2/24", 5);
    pod(kB, "pod/b", kN1, "192.168.1.3/24", 6);
    pod(kC, "pod/c", kN2, "192.168.2.2/24", 5);
    node(kN1, "node/lxb001", "10.1.1.15/24", "192.168.1.0/32", kMac1,
         {{5, "pnbA", "192.168.1.1/32"}, {6, "pnbB", "192.168.1.1/32"}});
    node(kN2, "node/lxb002", "10.1.1.16/24", "192.168.2.0/32", kMac2,
         {{5, "pnbC", "192.168.2.1/32"}});
    peers(kA, 2, kN1, 5);
    peers(kB, 2, kN1, 6);
    peers(kC, 2, kN2, 5);
    Namespace ext{.netns = kExt, .label = "ext", .role = Role::ext, .underlay = "eth0"};
    ext.links = {Link{.index = 1, .name = "lo", .up = true, .addrs = {pfx("203.0.113.1/32")}},
                 Link{.index = 2,
                      .name = "eth0",
                      .kind = "veth",
                      .up = true,
                      .peer = 20,
                      .addrs = {pfx("10.1.1.1/24")}}};
    f.namespaces[kExt] = ext;
    masq(kN1, "192.168.1.0/24");
    masq(kN2, "192.168.2.0/24");
  }

  void pod(const char* netns, const char* label, const char* node, const char* addr, int peer) {
    Namespace ns{.netns = netns, .label = label, .role = Role::pod, .node = node};
    ns.links = {Link{.index = 1, .name = "lo", .up = true}, Link{.index = 2,
                                                                 .name = "eth0",
                                                                 .kind = "veth",
                                                                 .up = true,
                                                                 .peer = peer,
                                                                 .addrs = {pfx(addr)}}};
    f.namespaces[netns] = ns;
  }
  struct HostVeth {
    int index;
    const char* name;
    const char* addr;
  };
  void node(const char* netns, const char* label, const char* eth0, const char* vtep_addr,
            const char* mac, std::vector<HostVeth> veths) {
    Namespace ns{.netns = netns, .label = label, .role = Role::node, .underlay = "eth0"};
    ns.links = {Link{.index = 1, .name = "lo", .up = true},
                Link{.index = 2,
                     .name = "eth0",
                     .kind = "veth",
                     .up = true,
                     .peer = 30,
                     .addrs = {pfx(eth0)}},
                Link{.index = 3,
                     .name = "podnet.1",
                     .kind = "vxlan",
                     .up = true,
                     .mac = mac,
                     .vni = 1,
                     .addrs = {pfx(vtep_addr)}}};
    for (const auto& v : veths)
      ns.links.push_back(Link{.index = v.index,
                              .name = v.name,
                              .kind = "veth",
                              .up = true,
                              .peer = 2,
                              .addrs = {pfx(v.addr)}});
    f.namespaces[netns] = ns;
  }
  void peers(const char* a, int ai, const char* b, int bi) {
    f.peers[{a, ai}] = {b, bi};
    f.peers[{b, bi}] = {a, ai};
  }
  void masq(const char* node, const char* subnet) {
    f.masq[node] = MasqFact{true,
                            {fmt::format("ip saddr {} ip daddr 192.168.0.0/16 return", subnet),
                             fmt::format("ip saddr {} ip daddr 224.0.0.0/4 return", subnet),
                             fmt::format("ip saddr {} masquerade", subnet)}};
  }
  Link& link(const char* netns, const char* name) {
    for (auto& l : f.namespaces[netns].links)
      if (l.name == name) return l;
    throw std::runtime_error("no link");
  }

  // podnetd --mode bridge: each node's pod veths are ports of bridge podnet0 (ifindex 4,
  // 192.168.N.1/24, the pods' gateway), the veths hold no address, the pods' eth0 have MACs the
  // bridge FDB has learned on their ports, and br_netfilter is on.
  static constexpr int kBr = 4;
  void bridge_mode() {
    const std::pair<const char*, int> nodes[] = {{kN1, 1}, {kN2, 2}};
    for (auto [node, n] : nodes) {
      Namespace& ns = f.namespaces[node];
      BridgeFact bf{.netfilter = true};
      const std::string br_mac = fmt::format("02:00:00:00:0{}:01", n);
      ns.links.push_back(Link{.index = kBr,
                              .name = "podnet0",
                              .kind = "bridge",
                              .up = true,
                              .mac = br_mac,
                              .addrs = {pfx(fmt::format("192.168.{}.1/24", n))}});
      bf.fdb.push_back({br_mac, kBr, "permanent"});
      for (auto& l : ns.links)
        if (l.name.starts_with("pnb")) {
          l.master = kBr;
          l.addrs.clear();
          l.port_state = "forwarding";
          l.hairpin = true;
        }
      f.bridges[{node, "podnet0"}] = bf;
    }
    for (auto [pod, node, port, mac] : {std::tuple{kA, kN1, 5, "0a:00:00:01:00:02"},
                                        {kB, kN1, 6, "0a:00:00:01:00:03"},
                                        {kC, kN2, 5, "0a:00:00:02:00:02"}}) {
      link(pod, "eth0").mac = mac;
      f.bridges[{node, "podnet0"}].fdb.push_back({mac, port, ""});
    }
  }
  // The bridge FDB entry of `mac` on `node`'s podnet0.
  BridgeFdb& fdb(const char* node, const char* mac) {
    for (auto& e : f.bridges[{node, "podnet0"}].fdb)
      if (e.mac == mac) return e;
    throw std::runtime_error("no fdb entry");
  }

  // A route lookup's answer: `text` as ip route prints it; prefix and gateway from it.
  void route(const char* netns, const char* dst, std::optional<const char*> src, const char* iif,
             const char* prefix, std::optional<const char*> gw, int oif, const char* text,
             std::optional<const char*> prefsrc = std::nullopt) {
    RouteFact r{.prefix = pfx(prefix), .oif = oif, .text = text};
    if (gw) r.gw = ip(*gw);
    if (prefsrc) r.prefsrc = ip(*prefsrc);
    f.routes[key(netns, dst, src, iif)] = r;
  }
  void local(const char* netns, const char* dst, std::optional<const char*> src, const char* iif) {
    f.routes[key(netns, dst, src, iif)] = RouteFact{
        .prefix = pfx(std::string(dst) + "/32"),
        .local = true,
        .text = fmt::format("local {} dev eth0 table local proto kernel scope host", dst)};
  }
  void route_error(const char* netns, const char* dst, std::optional<const char*> src,
                   const char* iif, const char* err) {
    f.routes[key(netns, dst, src, iif)] = RouteFact{.error = err};
  }
  static RouteKey key(const char* netns, const char* dst, std::optional<const char*> src,
                      const char* iif) {
    RouteKey k{.netns = netns, .dst = ip(dst), .iif = iif};
    if (src) k.src = ip(*src);
    return k;
  }
  // default/web at `cluster_ip` tcp/80 as lxb001's podnet-svc holds it: dispatch to pick-E
  // and the endpoint elements (address, port) in map order.
  void service(const char* cluster_ip, std::vector<std::pair<const char*, uint16_t>> endpoints) {
    const std::string pick = fmt::format("pick-{}", endpoints.size());
    NatFact n{.action = NatAction::dnat,
              .service = "default/web",
              .element = fmt::format("service-ips: {} . tcp . 80 : goto {}", cluster_ip, pick),
              .chain = pick};
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const auto& [addr, port] = endpoints[i];
      n.endpoints.push_back({ip(addr), port,
                             fmt::format("svc-endpoints: {} . tcp . 80 . {} : {} . {}", cluster_ip,
                                         i, addr, port)});
    }
    f.nat[NatKey{kN1, ip(cluster_ip), Proto::tcp, 80}] = std::move(n);
  }

  // lxb001's VXLAN entries for lxb002 (and back).
  void vxlan_peers() {
    f.vxlan[{kN1, "podnet.1"}] =
        VxlanFact{{{ip("192.168.2.0"), kMac2}}, {{kMac2, ip("10.1.1.16")}}};
    f.vxlan[{kN2, "podnet.1"}] =
        VxlanFact{{{ip("192.168.1.0"), kMac1}}, {{kMac1, ip("10.1.1.15")}}};
    route(kN1, "10.1.1.16", std::nullopt, "", "10.1.1.0/24", std::nullopt, 2,
          "10.1.1.0/24 dev eth0 proto kernel scope link", "10.1.1.15");
  }

  Path run(const char* from, Packet p) {
    TraceQuery q{.from_netns = from, .packet = p};
    for (int i = 0; i < 100; ++i) {
      auto r = assemble(q, f);
      if (auto* path = std::get_if<Path>(&r)) return *path;
      const auto& need = std::get<FactRequest>(r);
      if (auto* k = std::get_if<NatKey>(&need)) {
        f.nat[*k] = NatFact{};
        continue;
      }
      ADD_FAILURE() << "missing fact: " << describe(need);
      return {};
    }
    ADD_FAILURE() << "no path after 100 rounds";
    return {};
  }
};

// "route veth route ..." of a path.
inline std::string steps(const Path& p) {
  std::string s;
  for (const auto& h : p.hops) s += (s.empty() ? "" : " ") + h.step;
  return s;
}

}  // namespace podnet::trace::testing
