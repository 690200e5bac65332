#include <gtest/gtest.h>
#include <linux/neighbour.h>

#include "podnet/routes/plan.hpp"

namespace podnet::routes {
namespace {

using net::IpAddress;
using net::Prefix;

IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}
Prefix P(const char* s) {
  return *Prefix::parse(s);
}
sys::Mac M(const char* seed) {
  return sys::Mac::from_seed(seed);
}

Self self_node() {
  return {.name = "lxa001",
          .internal_ip = A("10.1.1.1"),
          .pod_cidr = P("192.168.1.0/24"),
          .underlay_ifindex = 2,
          .underlay_mtu = 1500,
          .underlay_addrs = {P("10.1.1.1/24")},
          .vtep_mac = M("a")};
}
std::vector<Peer> two_peers() {
  return {{"lxb001", A("10.1.1.2"), P("192.168.2.0/24"), M("b")},
          {"lxc001", A("10.1.1.3"), P("192.168.3.0/24"), M("c")}};
}

// The kernel state an apply of w would leave (VTEP ifindex 7).
CurrentState as_applied(const WantedState& w, int vtep = 7) {
  CurrentState c;
  c.vtep_ifindex = w.vtep ? vtep : 0;
  for (auto r : w.routes) {
    if (w.vtep && r.ifindex == 0) r.ifindex = vtep;
    r.table = 254;
    r.scope = 0;
    c.routes.push_back(r);
  }
  for (const auto& n : w.neighs) c.neighs.push_back({vtep, n.ip, n.mac, NUD_PERMANENT});
  for (const auto& f : w.fdb) c.fdb.push_back({vtep, f.mac, f.dst, NUD_PERMANENT, NTF_SELF});
  return c;
}

TEST(RoutePlan, VtepName) {
  EXPECT_EQ(vtep_name(1), "podnet.1");
  EXPECT_EQ(vtep_name(16777215), "podnet.16777215");
}

TEST(RoutePlan, Vxlan) {
  auto w = plan(self_node(), two_peers(), Backend::vxlan, {.vni = 1, .port = 8472});
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->vtep);
  EXPECT_EQ(w->vtep->name, "podnet.1");
  EXPECT_EQ(w->vtep->vni, 1u);
  EXPECT_EQ(w->vtep->port, 8472);
  EXPECT_EQ(w->vtep->local, A("10.1.1.1"));
  EXPECT_EQ(w->vtep->dev, 2);
  EXPECT_FALSE(w->vtep->learning);
  EXPECT_EQ(w->vtep->mac, M("a"));
  EXPECT_EQ(w->vtep->mtu, 1450u);
  EXPECT_EQ(w->vtep_address, P("192.168.1.0/32"));
  ASSERT_EQ(w->neighs.size(), 2u);
  EXPECT_EQ(w->neighs[0], (NeighWant{A("192.168.2.0"), M("b")}));
  ASSERT_EQ(w->fdb.size(), 2u);
  EXPECT_EQ(w->fdb[1], (FdbWant{M("c"), A("10.1.1.3")}));
  ASSERT_EQ(w->routes.size(), 2u);
  const sys::Route& r = w->routes[0];
  EXPECT_EQ(r.dst, P("192.168.2.0/24"));
  EXPECT_EQ(r.gw, A("192.168.2.0"));
  EXPECT_TRUE(r.onlink);
  EXPECT_EQ(r.protocol, 80);
  EXPECT_EQ(r.ifindex, 0);  // the VTEP, filled in by diff

  CurrentState empty{.vtep_ifindex = 7};
  auto acts = diff(*w, empty);
  ASSERT_EQ(acts.size(), 6u);
  // flannel's order: neighbours, then FDB, then routes.
  EXPECT_EQ(acts[0].object, Object::neigh);
  EXPECT_EQ(acts[1].object, Object::neigh);
  EXPECT_EQ(acts[2].object, Object::fdb);
  EXPECT_EQ(acts[3].object, Object::fdb);
  EXPECT_EQ(acts[4].object, Object::route);
  EXPECT_EQ(acts[4].route.ifindex, 7);
  for (const auto& a : acts) EXPECT_EQ(a.op, Op::add) << a.str();
  EXPECT_EQ(acts[4].str(), "add route 192.168.2.0/24 via 192.168.2.0 dev 7 onlink proto 80");
}

TEST(RoutePlan, VxlanPeerWithoutMacFails) {
  auto peers = two_peers();
  peers[1].vtep_mac.reset();
  auto w = plan(self_node(), peers, Backend::vxlan);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("lxc001"), std::string::npos);
}

TEST(RoutePlan, OverlappingCidrFails) {
  auto peers = two_peers();
  peers[1].pod_cidr = P("192.168.1.0/24");
  EXPECT_FALSE(plan(self_node(), peers, Backend::vxlan));
  peers[1].pod_cidr = P("192.168.2.128/25");
  EXPECT_FALSE(plan(self_node(), peers, Backend::host_gw));
}

TEST(RoutePlan, UnchangedYieldsNothing) {
  for (Backend b : {Backend::vxlan, Backend::host_gw}) {
    auto w = plan(self_node(), two_peers(), b);
    ASSERT_TRUE(w);
    EXPECT_TRUE(diff(*w, as_applied(*w)).empty());
  }
}

TEST(RoutePlan, HostGw) {
  auto w = plan(self_node(), two_peers(), Backend::host_gw);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_FALSE(w->vtep);
  EXPECT_TRUE(w->neighs.empty());
  EXPECT_TRUE(w->fdb.empty());
  ASSERT_EQ(w->routes.size(), 2u);
  EXPECT_EQ(w->routes[1].dst, P("192.168.3.0/24"));
  EXPECT_EQ(w->routes[1].gw, A("10.1.1.3"));
  EXPECT_EQ(w->routes[1].ifindex, 2);
  EXPECT_FALSE(w->routes[1].onlink);
  EXPECT_EQ(w->routes[1].protocol, kRouteProtocol);
  auto acts = diff(*w, {});
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[0].op, Op::add);
}

TEST(RoutePlan, HostGwNotOnLink) {
  auto peers = two_peers();
  peers.push_back({"lxcc01", A("10.2.0.9"), P("192.168.9.0/24"), {}});
  auto w = plan(self_node(), peers, Backend::host_gw);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message,
            "peer lxcc01 10.2.0.9 is not on-link from 10.1.1.0/24: host-gw needs one L2 segment; "
            "use vxlan");
  // The same peer is fine over vxlan.
  peers.back().vtep_mac = M("cc");
  EXPECT_TRUE(plan(self_node(), peers, Backend::vxlan));
}

// flannel's DirectRouting: on-link peers get the host-gw route (no VTEP entries), the others the
// overlay; switching it on replaces the overlay routes and removes their neighbour/FDB entries.
TEST(RoutePlan, VxlanDirectRoutingRoutesOnLinkPeersDirectly) {
  auto peers = two_peers();
  peers.push_back({"lxcc01", A("10.2.0.9"), P("192.168.9.0/24"), M("cc")});
  auto w = plan(self_node(), peers, Backend::vxlan, {.direct_routing = true});
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->vtep) << "the off-link peer still needs the VTEP";
  ASSERT_EQ(w->routes.size(), 3u);
  EXPECT_EQ(w->routes[0].gw, A("10.1.1.2"));
  EXPECT_EQ(w->routes[0].ifindex, 2);
  EXPECT_FALSE(w->routes[0].onlink);
  EXPECT_EQ(w->routes[1].gw, A("10.1.1.3"));
  EXPECT_EQ(w->routes[2].gw, A("192.168.9.0"));
  EXPECT_EQ(w->routes[2].ifindex, 0) << "the VTEP";
  EXPECT_TRUE(w->routes[2].onlink);
  ASSERT_EQ(w->neighs.size(), 1u);
  EXPECT_EQ(w->neighs[0].ip, A("192.168.9.0"));
  ASSERT_EQ(w->fdb.size(), 1u);
  EXPECT_EQ(w->fdb[0].dst, A("10.2.0.9"));

  // A directly routed peer needs no VTEP MAC.
  peers[0].vtep_mac.reset();
  EXPECT_TRUE(plan(self_node(), peers, Backend::vxlan, {.direct_routing = true}));
  EXPECT_FALSE(plan(self_node(), peers, Backend::vxlan));
  peers[0].vtep_mac = M("b");

  // From the plain overlay to direct routing: two routes replaced, their entries removed.
  auto overlay = plan(self_node(), peers, Backend::vxlan);
  ASSERT_TRUE(overlay);
  auto acts = diff(*w, as_applied(*overlay));
  int replaced = 0, removed = 0;
  for (const auto& a : acts) {
    replaced += a.op == Op::replace && a.object == Object::route;
    removed += a.op == Op::remove && a.object != Object::route;
    EXPECT_NE(a.op, Op::add) << a.str();
  }
  EXPECT_EQ(replaced, 2);
  EXPECT_EQ(removed, 4) << "two neighbours and two FDB entries";
  EXPECT_TRUE(diff(*w, as_applied(*w)).empty());
}

TEST(RoutePlan, PeerRemovalDeletesInReverseOrder) {
  auto before = plan(self_node(), two_peers(), Backend::vxlan);
  auto peers = two_peers();
  peers.pop_back();
  auto after = plan(self_node(), peers, Backend::vxlan);
  ASSERT_TRUE(before && after);
  auto acts = diff(*after, as_applied(*before));
  ASSERT_EQ(acts.size(), 3u);
  EXPECT_EQ(acts[0].object, Object::route);
  EXPECT_EQ(acts[0].route.dst, P("192.168.3.0/24"));
  EXPECT_EQ(acts[1].object, Object::fdb);
  EXPECT_EQ(acts[1].fdb.mac, M("c"));
  EXPECT_EQ(acts[1].fdb.dst, A("10.1.1.3"));
  EXPECT_EQ(acts[2].object, Object::neigh);
  EXPECT_EQ(acts[2].neigh.ip, A("192.168.3.0"));
  for (const auto& a : acts) EXPECT_EQ(a.op, Op::remove) << a.str();

  auto hb = plan(self_node(), two_peers(), Backend::host_gw);
  auto ha = plan(self_node(), peers, Backend::host_gw);
  auto hacts = diff(*ha, as_applied(*hb));
  ASSERT_EQ(hacts.size(), 1u);
  EXPECT_EQ(hacts[0].op, Op::remove);
  EXPECT_EQ(hacts[0].route.gw, A("10.1.1.3"));
}

TEST(RoutePlan, ForeignRoutesUntouched) {
  auto w = plan(self_node(), two_peers(), Backend::vxlan);
  ASSERT_TRUE(w);
  CurrentState c = as_applied(*w);
  sys::Route foreign;  // same destination, but somebody else's (proto boot)
  foreign.dst = P("10.9.0.0/16");
  foreign.gw = A("10.1.1.254");
  foreign.ifindex = 2;
  foreign.table = 254;
  c.routes.push_back(foreign);
  sys::Route other_table = c.routes[0];
  other_table.table = 100;  // proto 80 but another table: not ours to manage
  c.routes.push_back(other_table);
  EXPECT_TRUE(diff(*w, c).empty());
  // Dropping all peers removes only our routes.
  auto none = plan(self_node(), {}, Backend::vxlan);
  for (const auto& a : diff(*none, c)) {
    EXPECT_EQ(a.op, Op::remove);
    if (a.object == Object::route) {
      EXPECT_EQ(a.route.protocol, kRouteProtocol);
      EXPECT_EQ(a.route.table, 254u);
    }
  }
  EXPECT_EQ(diff(*none, c).size(), 6u);
}

TEST(RoutePlan, ChangedPeerReplaces) {
  auto before = plan(self_node(), two_peers(), Backend::vxlan);
  auto peers = two_peers();
  peers[0].internal_ip = A("10.1.1.20");  // node re-IPed
  peers[1].vtep_mac = M("c2");            // VTEP MAC changed
  auto after = plan(self_node(), peers, Backend::vxlan);
  auto acts = diff(*after, as_applied(*before));
  // lxb001: fdb replace; lxc001: old fdb removed, neigh replaced, new fdb added. Routes unchanged.
  int removes = 0, puts = 0;
  for (const auto& a : acts) {
    EXPECT_NE(a.object, Object::route) << a.str();
    (a.op == Op::remove ? removes : puts)++;
  }
  EXPECT_EQ(removes, 1);
  EXPECT_EQ(puts, 3);
  EXPECT_EQ(acts.front().op, Op::remove);
}

TEST(RoutePlan, StaleNonPermanentNeighbourReplaced) {
  auto w = plan(self_node(), two_peers(), Backend::vxlan);
  CurrentState c = as_applied(*w);
  c.neighs[0].state = NUD_STALE;
  auto acts = diff(*w, c);
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].op, Op::replace);
  EXPECT_EQ(acts[0].object, Object::neigh);
}

}  // namespace
}  // namespace podnet::routes
