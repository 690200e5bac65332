// inspect node's matching: rows from the route plan vs recorded kernel facts.
#include <gtest/gtest.h>
#include <linux/neighbour.h>

#include "core/node_match.hpp"

namespace podnet::ctl {
namespace {

using net::IpAddress;
using net::Prefix;

IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}
Prefix P(const char* s) {
  return *Prefix::parse(s);
}
sys::Mac M(const char* s) {
  return *sys::Mac::parse(s);
}

constexpr int kVtep = 7;
const LinkNames kNames = {{1, "lo"}, {2, "eth0"}, {kVtep, "podnet.1"}};

routes::Self self_node() {
  return {.name = "lxb001",
          .internal_ip = A("10.1.1.15"),
          .pod_cidr = P("192.168.0.0/24"),
          .underlay_ifindex = 2,
          .underlay_mtu = 1500,
          .underlay_addrs = {P("10.1.1.15/24")},
          .vtep_mac = M("02:00:00:00:00:01")};
}
std::vector<routes::Peer> peers() {
  return {{"lxb002", A("10.1.1.16"), P("192.168.1.0/24"), M("02:00:00:00:00:02")},
          {"lxb003", A("10.1.1.17"), P("192.168.2.0/24"), M("02:00:00:00:00:03")}};
}

// The kernel as podnetd leaves it after applying w.
routes::CurrentState as_applied(const routes::WantedState& w) {
  routes::CurrentState c;
  c.vtep_ifindex = w.vtep ? kVtep : 0;
  for (auto r : w.routes) {
    if (w.vtep && r.ifindex == 0) r.ifindex = kVtep;
    r.table = 254;
    c.routes.push_back(r);
  }
  for (const auto& n : w.neighs) c.neighs.push_back({kVtep, n.ip, n.mac, NUD_PERMANENT});
  for (const auto& f : w.fdb) c.fdb.push_back({kVtep, f.mac, f.dst, NUD_PERMANENT, NTF_SELF});
  return c;
}

routes::WantedState vxlan_plan() {
  auto w = routes::plan(self_node(), peers(), routes::Backend::vxlan, {.vni = 1, .port = 8472});
  EXPECT_TRUE(w) << w.error().message;
  return *w;
}

TEST(NodeMatch, VxlanAllPresentReadsLikeIpTools) {
  auto w = vxlan_plan();
  auto m = match_node(w, peers(), as_applied(w), kNames);
  ASSERT_EQ(m.peers.size(), 2u);
  EXPECT_TRUE(all_present(m));
  const auto& p = m.peers[0];
  EXPECT_EQ(p.name, "lxb002");
  EXPECT_FALSE(p.direct);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[0].kind, "route");
  EXPECT_EQ(p.rows[0].expected, "192.168.1.0/24 via 192.168.1.0 dev podnet.1 proto 80 onlink");
  EXPECT_EQ(p.rows[0].actual, p.rows[0].expected);
  EXPECT_EQ(p.rows[1].expected, "192.168.1.0 dev podnet.1 lladdr 02:00:00:00:00:02 PERMANENT");
  EXPECT_EQ(p.rows[2].expected, "02:00:00:00:00:02 dev podnet.1 dst 10.1.1.16 self permanent");
  EXPECT_TRUE(m.stale.empty());
}

TEST(NodeMatch, DeletedFdbEntryIsMissing) {
  auto w = vxlan_plan();
  auto cur = as_applied(w);
  cur.fdb.erase(cur.fdb.begin() + 1);  // lxb003's
  auto m = match_node(w, peers(), cur, kNames);
  EXPECT_FALSE(all_present(m));
  EXPECT_TRUE(all_present(m.peers[0].rows));
  EXPECT_EQ(m.peers[1].rows[2].state, EntryState::missing);
  EXPECT_EQ(m.peers[1].rows[2].actual, "");
  EXPECT_EQ(m.peers[1].rows[0].state, EntryState::present);
}

TEST(NodeMatch, DeletedRouteIsMissing) {
  auto w = vxlan_plan();
  auto cur = as_applied(w);
  cur.routes.erase(cur.routes.begin());
  auto m = match_node(w, peers(), cur, kNames);
  EXPECT_EQ(m.peers[0].rows[0].state, EntryState::missing);
  EXPECT_EQ(m.peers[0].rows[1].state, EntryState::present);
}

TEST(NodeMatch, OtherValuesAreDifferentWithTheKernelsText) {
  auto w = vxlan_plan();
  auto cur = as_applied(w);
  cur.neighs[0].mac = M("02:00:00:00:00:99");
  cur.fdb[1].dst = A("10.1.1.99");
  cur.routes[1].gw = A("10.1.1.99");
  auto m = match_node(w, peers(), cur, kNames);
  EXPECT_EQ(m.peers[0].rows[1].state, EntryState::different);
  EXPECT_EQ(m.peers[0].rows[1].actual,
            "192.168.1.0 dev podnet.1 lladdr 02:00:00:00:00:99 PERMANENT");
  EXPECT_EQ(m.peers[1].rows[2].state, EntryState::different);
  EXPECT_EQ(m.peers[1].rows[2].actual,
            "02:00:00:00:00:03 dev podnet.1 dst 10.1.1.99 self permanent");
  EXPECT_EQ(m.peers[1].rows[0].state, EntryState::different);
  // A learned (not permanent) neighbour is not what podnetd programs either.
  cur = as_applied(w);
  cur.neighs[0].state = NUD_REACHABLE;
  m = match_node(w, peers(), cur, kNames);
  EXPECT_EQ(m.peers[0].rows[1].state, EntryState::different);
  EXPECT_EQ(m.peers[0].rows[1].actual,
            "192.168.1.0 dev podnet.1 lladdr 02:00:00:00:00:02 REACHABLE");
}

TEST(NodeMatch, PodnetOwnedLeftoversAreStale) {
  auto w = vxlan_plan();
  auto cur = as_applied(w);
  sys::Route gone;
  gone.dst = P("192.168.9.0/24");
  gone.gw = A("192.168.9.0");
  gone.ifindex = kVtep;
  gone.onlink = true;
  gone.protocol = routes::kRouteProtocol;
  gone.table = 254;
  cur.routes.push_back(gone);
  cur.neighs.push_back({kVtep, A("192.168.9.0"), M("02:00:00:00:00:09"), NUD_PERMANENT});
  cur.fdb.push_back({kVtep, M("02:00:00:00:00:09"), A("10.1.1.29"), NUD_PERMANENT, NTF_SELF});
  // Not podnet's: another protocol's route is never stale.
  sys::Route other = gone;
  other.dst = P("10.50.0.0/16");
  other.protocol = RTPROT_BOOT;
  cur.routes.push_back(other);
  auto m = match_node(w, peers(), cur, kNames);
  EXPECT_TRUE(all_present(m.peers[0].rows));
  ASSERT_EQ(m.stale.size(), 3u);
  EXPECT_EQ(m.stale[0].kind, "route");
  EXPECT_EQ(m.stale[0].actual, "192.168.9.0/24 via 192.168.9.0 dev podnet.1 proto 80 onlink");
  EXPECT_EQ(m.stale[1].kind, "fdb");
  EXPECT_EQ(m.stale[1].actual, "02:00:00:00:00:09 dev podnet.1 dst 10.1.1.29 self permanent");
  EXPECT_EQ(m.stale[2].kind, "neigh");
  EXPECT_FALSE(all_present(m));
}

TEST(NodeMatch, NoVtepMeansEveryOverlayEntryMissing) {
  auto w = vxlan_plan();
  routes::CurrentState cur;  // the VTEP was deleted: its entries went with it
  auto m = match_node(w, peers(), cur, kNames);
  for (const auto& p : m.peers)
    for (const auto& r : p.rows) EXPECT_EQ(r.state, EntryState::missing) << r.expected;
  EXPECT_EQ(m.peers[0].rows[0].expected,
            "192.168.1.0/24 via 192.168.1.0 dev podnet.1 proto 80 onlink");
}

TEST(NodeMatch, HostGwPeersAreDirectRoutesOnly) {
  auto w = routes::plan(self_node(), peers(), routes::Backend::host_gw);
  ASSERT_TRUE(w);
  auto m = match_node(*w, peers(), as_applied(*w), kNames);
  ASSERT_EQ(m.peers.size(), 2u);
  EXPECT_TRUE(m.peers[1].direct);
  ASSERT_EQ(m.peers[1].rows.size(), 1u);
  EXPECT_EQ(m.peers[1].rows[0].expected, "192.168.2.0/24 via 10.1.1.17 dev eth0 proto 80");
  EXPECT_TRUE(all_present(m));
}

TEST(NodeMatch, VtepAttributes) {
  auto w = vxlan_plan();
  VtepFacts got{.exists = true,
                .kind = "vxlan",
                .mac = "02:00:00:00:00:01",
                .mtu = 1450,
                .up = true,
                .vni = 1,
                .port = 8472,
                .dev = 2,
                .local = A("10.1.1.15"),
                .addrs = {P("192.168.0.0/32")}};
  auto rows = match_vtep(*w.vtep, *w.vtep_address, got, kNames);
  EXPECT_TRUE(all_present(rows));
  got.mtu = 1400;
  got.addrs.push_back(P("192.168.7.0/32"));
  rows = match_vtep(*w.vtep, *w.vtep_address, got, kNames);
  auto mtu = std::find_if(rows.begin(), rows.end(),
                          [](const EntryRow& r) { return r.expected == "mtu 1450"; });
  ASSERT_NE(mtu, rows.end());
  EXPECT_EQ(mtu->state, EntryState::different);
  EXPECT_EQ(mtu->actual, "mtu 1400");
  EXPECT_EQ(rows.back().state, EntryState::stale);
  EXPECT_EQ(rows.back().actual, "inet 192.168.7.0/32");
  rows = match_vtep(*w.vtep, *w.vtep_address, VtepFacts{}, kNames);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, EntryState::missing);
  EXPECT_EQ(rows[0].expected, "podnet.1 vxlan id 1");
}

TEST(NodeMatch, RulesComparedAsNftListsThem) {
  const char* planned =
      "add table ip podnet\ndelete table ip podnet\ntable ip podnet {\n"
      "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
      "    ip saddr 192.168.0.0/24 ip daddr 192.168.0.0/16 return\n"
      "    ip saddr 192.168.0.0/24 masquerade\n  }\n}\n";
  const char* listed =
      "table ip podnet {\n\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
      "\t\tip saddr 192.168.0.0/24 ip daddr 192.168.0.0/16 return\n"
      "\t\tip saddr 192.168.0.0/24 ip daddr 10.0.0.0/8 accept\n\t}\n}\n";
  auto rows = match_rules(planned, listed);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].state, EntryState::present);
  EXPECT_EQ(rows[1].state, EntryState::missing);
  EXPECT_EQ(rows[1].expected, "ip saddr 192.168.0.0/24 masquerade");
  EXPECT_EQ(rows[2].state, EntryState::stale);
  EXPECT_EQ(rows[2].actual, "ip saddr 192.168.0.0/24 ip daddr 10.0.0.0/8 accept");
  // No table at all: every planned rule missing.
  rows = match_rules(planned, "");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].state, EntryState::missing);
}

}  // namespace
}  // namespace podnet::ctl
