#include <linux/neighbour.h>

#include <algorithm>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

using net::IpAddress;

IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

class VxlanNeigh : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped()) return;
    node_ = make_ns();
    auto n = nl_in(node_);
    ASSERT_TRUE(n) << n.error().message;
    nl_.emplace(std::move(*n));
  }
  std::string node_;
  std::optional<Netlink> nl_;
};

TEST_F(VxlanNeigh, CreateVxlan) {
  Mac mac = Mac::from_seed("node-1/vxlan");
  LinkInfo vx = VALUE_OR_FAIL(nl_->create_vxlan(
      {.name = "pnvx0", .vni = 42, .local = A("10.1.1.1"), .port = 8472, .mac = mac, .mtu = 1450}));
  EXPECT_EQ(vx.kind, "vxlan");
  EXPECT_EQ(vx.mac, mac.str());
  EXPECT_EQ(vx.mtu, 1450u);
  EXPECT_TRUE(vx.up);
  std::string d = ip(node_, "-d link show pnvx0");
  EXPECT_NE(d.find("vxlan id 42"), std::string::npos) << d;
  EXPECT_NE(d.find("local 10.1.1.1"), std::string::npos) << d;
  EXPECT_NE(d.find("dstport 8472"), std::string::npos) << d;
  EXPECT_NE(d.find("nolearning"), std::string::npos) << d;

  auto dup = nl_->create_vxlan({.name = "pnvx0", .vni = 42});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().sys_errno, EEXIST);
}

TEST_F(VxlanNeigh, CreateVxlanOnDevice) {
  // An underlay device: a veth pair inside the same namespace.
  LinkInfo under = VALUE_OR_FAIL(nl_->create_veth({.host_name = "pnund0", .peer_name = "pnund1"}));
  ASSERT_TRUE(nl_->create_vxlan({.name = "pnvx0", .vni = 7, .dev = under.index}));
  std::string d = ip(node_, "-d link show pnvx0");
  EXPECT_NE(d.find("dev pnund0"), std::string::npos) << d;
}

TEST_F(VxlanNeigh, FdbReplaceListDelete) {
  LinkInfo vx =
      VALUE_OR_FAIL(nl_->create_vxlan({.name = "pnvx0", .vni = 42, .local = A("10.1.1.1")}));
  Mac peer = Mac::from_seed("node-2/vxlan");
  ASSERT_OK(nl_->replace_fdb(vx.index, peer, A("10.1.1.2")));
  ASSERT_OK(nl_->replace_fdb(vx.index, peer, A("10.1.1.3")));  // the peer moved
  auto fdb = VALUE_OR_FAIL(nl_->list_fdb(vx.index));
  auto it = std::find_if(fdb.begin(), fdb.end(), [&](const FdbEntry& e) { return e.mac == peer; });
  ASSERT_NE(it, fdb.end());
  EXPECT_EQ(it->dst, A("10.1.1.3"));
  EXPECT_TRUE(it->state & NUD_PERMANENT);
  EXPECT_TRUE(it->flags & NTF_SELF);
  EXPECT_EQ(std::count_if(fdb.begin(), fdb.end(), [&](const FdbEntry& e) { return e.mac == peer; }),
            1);
  std::string shown = sh("bridge -n " + node_ + " fdb show dev pnvx0");
  EXPECT_NE(shown.find(peer.str() + " dst 10.1.1.3"), std::string::npos) << shown;

  EXPECT_TRUE(VALUE_OR_FAIL(nl_->del_fdb(vx.index, peer, A("10.1.1.3"))));
  EXPECT_FALSE(VALUE_OR_FAIL(nl_->del_fdb(vx.index, peer, A("10.1.1.3"))));
  fdb = VALUE_OR_FAIL(nl_->list_fdb(vx.index));
  EXPECT_TRUE(
      std::none_of(fdb.begin(), fdb.end(), [&](const FdbEntry& e) { return e.mac == peer; }));
}

TEST_F(VxlanNeigh, NeighReplaceListDelete) {
  LinkInfo vx =
      VALUE_OR_FAIL(nl_->create_vxlan({.name = "pnvx0", .vni = 42, .local = A("10.1.1.1")}));
  Mac peer = Mac::from_seed("node-2/vxlan");
  Mac moved = Mac::from_seed("node-2/vxlan-new");
  ASSERT_OK(nl_->replace_neigh(vx.index, A("192.168.2.0"), peer));
  ASSERT_OK(nl_->replace_neigh(vx.index, A("192.168.2.0"), moved));
  auto ns = VALUE_OR_FAIL(nl_->list_neigh(vx.index, net::Family::v4));
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].ip, A("192.168.2.0"));
  EXPECT_EQ(ns[0].mac, moved);
  EXPECT_EQ(ns[0].state, NUD_PERMANENT);

  ASSERT_OK(nl_->replace_neigh(vx.index, A("fd00:2::"), peer));
  auto v6 = VALUE_OR_FAIL(nl_->list_neigh(vx.index, net::Family::v6));
  EXPECT_TRUE(
      std::any_of(v6.begin(), v6.end(), [&](const Neigh& n) { return n.ip == A("fd00:2::"); }));

  EXPECT_TRUE(VALUE_OR_FAIL(nl_->del_neigh(vx.index, A("192.168.2.0"))));
  EXPECT_FALSE(VALUE_OR_FAIL(nl_->del_neigh(vx.index, A("192.168.2.0"))));
  EXPECT_TRUE(VALUE_OR_FAIL(nl_->list_neigh(vx.index, net::Family::v4)).empty());
}

}  // namespace
}  // namespace podnet::sys::test
