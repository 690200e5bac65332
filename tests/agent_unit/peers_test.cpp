#include <gtest/gtest.h>

#include "podnet/agent/peers.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::agent {
namespace {

std::string node_json(const std::string& name, const std::string& ip, const std::string& cidr,
                      const std::string& mac = "0a:00:00:00:00:01") {
  cluster::Node n{name, *net::IpAddress::parse(ip), *net::Prefix::parse(cidr), mac, 1};
  return cluster::to_json(n).dump();
}

// Store key -> JSON text, parsed as the agent does when entries arrive.
NodeEntries entries(const std::map<std::string, std::string>& raw) {
  NodeEntries out;
  for (const auto& [key, value] : raw) out.emplace(key, parse_node_entry(value));
  return out;
}

routes::Self self_node() {
  return routes::Self{.name = "lxb001",
                      .internal_ip = *net::IpAddress::parse("10.1.1.15"),
                      .pod_cidr = *net::Prefix::parse("192.168.0.0/24"),
                      .underlay_ifindex = 2,
                      .underlay_mtu = 1500,
                      .underlay_addrs = {*net::Prefix::parse("10.1.1.15/24")},
                      .vtep_mac = *sys::Mac::parse("0a:00:00:00:00:99")};
}

TEST(Peers, SkipsSelfAndMalformed) {
  std::map<std::string, std::string> nodes = {
      {"/podnet/nodes/lxb001", node_json("lxb001", "10.1.1.15", "192.168.0.0/24")},
      {"/podnet/nodes/lxb002", node_json("lxb002", "10.1.1.16", "192.168.1.0/24")},
      {"/podnet/nodes/lxb003", "{garbage"},
      {"/podnet/nodes/lxb004", node_json("other", "10.1.1.18", "192.168.3.0/24")},
      {"/podnet/nodes/lxb005", node_json("lxb005", "10.1.1.19", "10.9.0.0/24")},
      {"/podnet/nodes/lxb006", node_json("lxb006", "10.1.1.20", "192.168.0.0/24")},
      {"/podnet/nodes/lxb007", node_json("lxb007", "10.1.1.21", "192.168.1.0/24")},
      {"/podnet/nodes/lxb008", node_json("lxb008", "10.1.1.22", "192.168.8.0/24", "")},
      {"/podnet/nodes/lxb009", node_json("lxb009", "10.1.1.23", "192.168.9.0/24")},
  };
  PeerSet ps = peers_from_nodes(entries(nodes), self_node(), cluster::ClusterConfig{});
  ASSERT_EQ(ps.peers.size(), 2u);
  EXPECT_EQ(ps.peers[0].name, "lxb002");
  EXPECT_EQ(ps.peers[0].internal_ip.str(), "10.1.1.16");
  EXPECT_EQ(ps.peers[0].pod_cidr.str(), "192.168.1.0/24");
  EXPECT_EQ(ps.peers[0].vtep_mac->str(), "0a:00:00:00:00:01");
  EXPECT_EQ(ps.peers[1].name, "lxb009");
  ASSERT_EQ(ps.skipped.size(), 6u);
  EXPECT_TRUE(ps.skipped[0].starts_with("node entry /podnet/nodes/lxb003: not valid JSON: "))
      << ps.skipped[0];
  EXPECT_NE(ps.skipped[1].find("does not match the key"), std::string::npos);
  EXPECT_NE(ps.skipped[2].find("outside the cluster CIDR"), std::string::npos);
  EXPECT_NE(ps.skipped[3].find("overlaps this node's"), std::string::npos);
  EXPECT_NE(ps.skipped[4].find("overlaps node lxb002's"), std::string::npos);
  EXPECT_NE(ps.skipped[5].find("vtepMAC"), std::string::npos);
  EXPECT_TRUE(ps.refused.empty());
}

TEST(Peers, HostGwRefusesOffLink) {
  cluster::ClusterConfig c;
  c.backend.type = cluster::BackendType::host_gw;
  std::map<std::string, std::string> nodes = {
      {"/podnet/nodes/lxb002", node_json("lxb002", "10.1.1.16", "192.168.1.0/24", "")},
      {"/podnet/nodes/far", node_json("far", "10.2.2.2", "192.168.2.0/24", "")},
  };
  PeerSet ps = peers_from_nodes(entries(nodes), self_node(), c);
  ASSERT_EQ(ps.peers.size(), 1u);
  EXPECT_EQ(ps.peers[0].name, "lxb002");
  EXPECT_FALSE(ps.peers[0].vtep_mac);
  ASSERT_EQ(ps.refused.size(), 1u);
  EXPECT_EQ(ps.refused[0],
            "peer far 10.2.2.2 is not on-link from 10.1.1.0/24: host-gw needs one L2 segment; "
            "use vxlan");
  // The accepted peers always make a valid plan.
  EXPECT_TRUE(routes::plan(self_node(), ps.peers, routes::Backend::host_gw));
}

// Two peers, and the second one moved to another underlay address.
struct ThreePeers {
  routes::Peer a{
      "lxb002", *net::IpAddress::parse("10.1.1.16"), *net::Prefix::parse("192.168.1.0/24"), {}};
  routes::Peer b{
      "lxb003", *net::IpAddress::parse("10.1.1.17"), *net::Prefix::parse("192.168.2.0/24"), {}};
  routes::Peer b2 = moved(b, "10.1.1.27");
  static routes::Peer moved(routes::Peer p, const char* ip) {
    p.internal_ip = *net::IpAddress::parse(ip);
    return p;
  }
};

TEST(Peers, Changes) {
  const ThreePeers p;
  const auto &a = p.a, &b = p.b, &b2 = p.b2;
  auto c = peer_changes({}, {a});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "peer lxb002 added (192.168.1.0/24 via 10.1.1.16)");
  c = peer_changes({a, b}, {b2});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0],
            "peer lxb003 changed (192.168.2.0/24 via 10.1.1.17 -> 192.168.2.0/24 via 10.1.1.27)");
  EXPECT_EQ(c[1], "peer lxb002 removed (192.168.1.0/24)");
  EXPECT_TRUE(peer_changes({a}, {a}).empty());
  EXPECT_EQ(peer_changes({}, {a}, true)[0], "peer lxb002 present (192.168.1.0/24 via 10.1.1.16)");
}

TEST(Peers, SamePeersIsOrderAndFieldExact) {
  const ThreePeers p;
  EXPECT_TRUE(same_peers({}, {}));
  EXPECT_TRUE(same_peers({p.a, p.b}, {p.a, p.b}));
  EXPECT_FALSE(same_peers({p.a, p.b}, {p.a, p.b2}));  // an address moved: apply again
  EXPECT_FALSE(same_peers({p.a, p.b}, {p.a}));
  EXPECT_FALSE(same_peers({p.a, p.b}, {p.b, p.a}));
}

// Each skip or refusal is logged once while it lasts, and again when it comes back.
TEST(Peers, SkipLogReportsOnlyNewReasons) {
  SkipLog log;
  PeerSet ps{.skipped = {"node entry /podnet/nodes/x: not valid JSON"},
             .refused = {"peer far 10.2.2.2 is not on-link"}};
  auto n = log.update(ps);
  EXPECT_EQ(n.skipped, ps.skipped);
  EXPECT_EQ(n.refused, ps.refused);
  n = log.update(ps);
  EXPECT_TRUE(n.skipped.empty());
  EXPECT_TRUE(n.refused.empty());
  PeerSet more = ps;
  more.skipped.push_back("node entry /podnet/nodes/y: metadata.name");
  n = log.update(more);
  EXPECT_EQ(n.skipped, std::vector<std::string>{"node entry /podnet/nodes/y: metadata.name"});
  EXPECT_TRUE(n.refused.empty());
  n = log.update(PeerSet{});  // all fixed
  EXPECT_TRUE(n.skipped.empty() && n.refused.empty());
  n = log.update(ps);  // back again: logged again
  EXPECT_EQ(n.skipped.size(), 1u);
  EXPECT_EQ(n.refused.size(), 1u);
}

}  // namespace
}  // namespace podnet::agent

namespace podnet::agent {
namespace {

TEST(PeerRouteEvents, AddedChangedRemovedOncePerPeer) {
  const ThreePeers p;
  const auto &a = p.a, &b = p.b, &b2 = p.b2;
  EXPECT_EQ(peer_route_events({}, {a}),
            (std::vector<PeerEvent>{
                {"RouteAdded", "Route to node lxb002 added: 192.168.1.0/24 via 10.1.1.16"}}));
  EXPECT_EQ(peer_route_events({a, b}, {b2}),
            (std::vector<PeerEvent>{
                {"RouteChanged",
                 "Route to node lxb003 changed: 192.168.2.0/24 via 10.1.1.17 -> 192.168.2.0/24 "
                 "via 10.1.1.27"},
                {"RouteRemoved", "Route to node lxb002 removed: 192.168.1.0/24"}}));
  EXPECT_TRUE(peer_route_events({a}, {a}).empty());
}

}  // namespace
}  // namespace podnet::agent
