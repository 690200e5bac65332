// A three-node underlay: netns <prefix>sw with a bridge, netns <prefix>n1..n3 each with eth0 (a
// veth to the bridge, 10.1.1.N/24) and a bridge "pods" holding the pod gateway 192.168.N.1/24.
// RouteManager runs in each node; pings go from one node's pod gateway to the others'. Every
// namespace is removed in TearDown, also after a failure; the root namespace is never touched.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "podnet/routes/manager.hpp"
#include "podnet/routes/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::routes {
namespace {

using podnet::testing::ScopedNetns;

struct Node {
  std::unique_ptr<ScopedNetns> ns;
  int n = 0;
  std::string name;
  std::optional<sys::Netns> handle;
  std::optional<sys::Netlink> nl;
  Self self;
};

class RouteManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!podnet::testing::have_root()) GTEST_SKIP() << "needs root: creates network namespaces";
    prefix_ = podnet::testing::unique_prefix("rt");
    sw_ = std::make_unique<ScopedNetns>(prefix_ + "sw");
    ASSERT_EQ(sw_->sh("ip link add br0 type bridge && ip link set br0 up"), 0);
    for (int i = 1; i <= 3; ++i) {
      Node nd;
      nd.n = i;
      nd.name = fmt::format("lx{}001", char('a' + i - 1));
      nd.ns = std::make_unique<ScopedNetns>(fmt::format("{}n{}", prefix_, i));
      std::string out;
      ASSERT_EQ(podnet::testing::sh(
                    fmt::format("ip -n {0} link add v{1} type veth peer name eth0 netns {2} && "
                                "ip -n {0} link set v{1} master br0 up",
                                sw_->name(), i, nd.ns->name()),
                    &out),
                0)
          << out;
      ASSERT_EQ(
          nd.ns->sh(fmt::format("ip addr add 10.1.1.{0}/24 dev eth0 && ip link set eth0 up && "
                                "ip link add pods type bridge && "
                                "ip addr add 192.168.{0}.1/24 dev pods && ip link set pods up",
                                i),
                    &out),
          0)
          << out;
      auto h = sys::Netns::open(nd.ns->path());
      ASSERT_TRUE(h) << h.error().message;
      nd.handle.emplace(std::move(*h));
      auto nl = sys::Netlink::open_in(*nd.handle);
      ASSERT_TRUE(nl) << nl.error().message;
      nd.nl.emplace(std::move(*nl));
      auto eth = nd.nl->link_info("eth0");
      ASSERT_TRUE(eth) << eth.error().message;
      auto addrs = nd.nl->list_addresses(eth->index, net::Family::v4);
      ASSERT_TRUE(addrs) << addrs.error().message;
      nd.self = {.name = nd.name,
                 .internal_ip = *net::IpAddress::parse(fmt::format("10.1.1.{}", i)),
                 .pod_cidr = *net::Prefix::parse(fmt::format("192.168.{}.0/24", i)),
                 .underlay_ifindex = eth->index,
                 .underlay_mtu = eth->mtu,
                 .underlay_addrs = *addrs,
                 .vtep_mac = sys::Mac::from_seed(prefix_ + nd.name)};
      nodes_.push_back(std::move(nd));
    }
  }
  void TearDown() override {
    for (auto& nd : nodes_) {
      nd.nl.reset();
      nd.handle.reset();
      nd.ns.reset();  // ip netns del
    }
    nodes_.clear();
    sw_.reset();
  }

  std::vector<Peer> peers_of(size_t i, const std::vector<size_t>& except = {}) const {
    std::vector<Peer> out;
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j == i || std::find(except.begin(), except.end(), j) != except.end()) continue;
      const Self& s = nodes_[j].self;
      out.push_back({s.name, s.internal_ip, s.pod_cidr, s.vtep_mac});
    }
    return out;
  }

  ApplyStats apply(size_t i, Backend b, const std::vector<size_t>& except = {},
                   uint16_t port = kDefaultVxlanPort) {
    auto w = plan(nodes_[i].self, peers_of(i, except), b, {.vni = 1, .port = port});
    EXPECT_TRUE(w) << w.error().message;
    if (!w) return {};
    RouteManager m(*nodes_[i].nl, &*nodes_[i].handle);
    // The observer sees every add/replace before it is applied (a stale VTEP's deletion is
    // counted in `removed` but is not a diff action, so removals are not compared).
    size_t observed_writes = 0;
    auto st = m.apply(*w, [&](const Action& a) { observed_writes += a.op != Op::remove; });
    EXPECT_TRUE(st) << nodes_[i].name << ": " << st.error().message;
    if (st) {
      EXPECT_EQ(observed_writes, st->added + st->replaced) << nodes_[i].name;
    }
    return st ? *st : ApplyStats{};
  }

  // expect_ok false: a ping expected to fail waits 1 s instead of 2.
  bool ping(size_t from, size_t to, bool expect_ok = true) {
    return nodes_[from].ns->sh(fmt::format("ping -c1 -W{} -I 192.168.{}.1 192.168.{}.1",
                                           expect_ok ? 2 : 1, from + 1, to + 1)) == 0;
  }
  std::string ip(size_t i, const std::string& args) {
    std::string out;
    podnet::testing::sh(fmt::format("ip -n {} {}", nodes_[i].ns->name(), args), &out);
    return out;
  }

  std::string prefix_;
  std::unique_ptr<ScopedNetns> sw_;
  std::vector<Node> nodes_;
};

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST_F(RouteManagerTest, VxlanMeshPeerRemovalAndNoFlap) {
  for (size_t i = 0; i < 3; ++i) {
    ApplyStats st = apply(i, Backend::vxlan);
    EXPECT_TRUE(st.vtep_created);
    EXPECT_EQ(st.added, 6u);  // 2 peers x (neighbour, fdb, route)
  }
  std::string r = ip(0, "route show proto 80");
  EXPECT_TRUE(has(r, "192.168.2.0/24 via 192.168.2.0 dev podnet.1 onlink")) << r;
  EXPECT_TRUE(has(r, "192.168.3.0/24 via 192.168.3.0 dev podnet.1 onlink")) << r;
  std::string d = ip(0, "-d link show podnet.1");
  EXPECT_TRUE(has(d, "vxlan id 1 local 10.1.1.1 dev eth0")) << d;
  EXPECT_TRUE(has(d, "mtu 1450")) << d;
  EXPECT_TRUE(has(d, "nolearning")) << d;
  EXPECT_TRUE(has(ip(0, "addr show podnet.1"), "192.168.1.0/32"));
  EXPECT_TRUE(ping(0, 1));
  EXPECT_TRUE(ping(0, 2));
  EXPECT_TRUE(ping(2, 1));

  // Restart with the same state: nothing touched, traffic unaffected.
  for (size_t i = 0; i < 3; ++i) {
    ApplyStats st = apply(i, Backend::vxlan);
    EXPECT_FALSE(st.vtep_created);
    EXPECT_EQ(st.actions(), 0u);
  }
  EXPECT_TRUE(ping(0, 1));

  // A foreign route (someone else's protocol) survives our reconciles.
  ASSERT_EQ(nodes_[0].ns->sh("ip route add 10.99.0.0/16 via 10.1.1.254 dev eth0"), 0);

  // Node C leaves: A and B drop its route, FDB entry and neighbour.
  std::string c_mac = nodes_[2].self.vtep_mac.str();
  for (size_t i = 0; i < 2; ++i) {
    ApplyStats st = apply(i, Backend::vxlan, {2});
    EXPECT_EQ(st.removed, 3u);
    EXPECT_EQ(st.added + st.replaced, 0u);
    EXPECT_FALSE(has(ip(i, "route show proto 80"), "192.168.3.0")) << ip(i, "route");
    EXPECT_FALSE(has(ip(i, "neigh show dev podnet.1"), "192.168.3.0"));
    std::string fdb;
    podnet::testing::sh(fmt::format("bridge -n {} fdb show dev podnet.1", nodes_[i].ns->name()),
                        &fdb);
    EXPECT_FALSE(has(fdb, c_mac)) << fdb;
  }
  EXPECT_TRUE(has(ip(0, "route"), "10.99.0.0/16 via 10.1.1.254"));
  EXPECT_TRUE(ping(0, 1));
  EXPECT_FALSE(ping(0, 2, false));
}

TEST_F(RouteManagerTest, VxlanVtepRecreatedOnPortChangeKeepsMac) {
  apply(0, Backend::vxlan);
  apply(1, Backend::vxlan);
  ASSERT_TRUE(ping(0, 1));
  apply(0, Backend::vxlan, {}, 4789);
  ApplyStats st = apply(1, Backend::vxlan, {}, 4789);
  EXPECT_TRUE(st.vtep_created);
  EXPECT_EQ(st.added, 6u);
  std::string d = ip(1, "-d link show podnet.1");
  EXPECT_TRUE(has(d, "dstport 4789")) << d;
  EXPECT_TRUE(has(d, nodes_[1].self.vtep_mac.str())) << d;
  EXPECT_TRUE(ping(0, 1));
}

TEST_F(RouteManagerTest, VniChangeReplacesVtep) {
  apply(0, Backend::vxlan);
  auto w = plan(nodes_[0].self, peers_of(0), Backend::vxlan, {.vni = 42});
  ASSERT_TRUE(w) << w.error().message;
  RouteManager m(*nodes_[0].nl, &*nodes_[0].handle);
  auto st = m.apply(*w);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(st->vtep_created);
  EXPECT_EQ(st->removed, 1u);  // podnet.1
  EXPECT_FALSE(has(ip(0, "link"), "podnet.1:"));
  std::string r = ip(0, "route show proto 80");
  EXPECT_TRUE(has(r, "192.168.2.0/24 via 192.168.2.0 dev podnet.42 onlink")) << r;
}

TEST_F(RouteManagerTest, HostGwMeshPeerRemovalAndNoFlap) {
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(apply(i, Backend::host_gw).added, 2u);
  std::string r = ip(0, "route show proto 80");
  EXPECT_TRUE(has(r, "192.168.2.0/24 via 10.1.1.2 dev eth0")) << r;
  EXPECT_TRUE(ping(0, 1));
  EXPECT_TRUE(ping(0, 2));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(apply(i, Backend::host_gw).actions(), 0u);
  for (size_t i = 0; i < 2; ++i) {
    ApplyStats st = apply(i, Backend::host_gw, {2});
    EXPECT_EQ(st.removed, 1u);
    EXPECT_FALSE(has(ip(i, "route show proto 80"), "192.168.3.0"));
  }
  EXPECT_TRUE(ping(0, 1));
  EXPECT_FALSE(ping(0, 2, false));
}

TEST_F(RouteManagerTest, SwitchVxlanToHostGwRemovesVtep) {
  apply(0, Backend::vxlan);
  apply(1, Backend::vxlan);
  ASSERT_TRUE(ping(0, 1));
  ApplyStats a = apply(0, Backend::host_gw);
  apply(1, Backend::host_gw);
  EXPECT_GE(a.removed, 1u);  // the VTEP (its entries went with it)
  EXPECT_FALSE(has(ip(0, "link"), "podnet.1"));
  EXPECT_TRUE(has(ip(0, "route show proto 80"), "192.168.2.0/24 via 10.1.1.2 dev eth0"));
  EXPECT_TRUE(ping(0, 1));
}

}  // namespace
}  // namespace podnet::routes
