#include <linux/rtnetlink.h>

#include <algorithm>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

using net::IpAddress;
using net::Prefix;

Prefix P(const char* s) {
  return *Prefix::parse(s);
}
IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

constexpr uint8_t kProto = 0x50;  // a test protocol number, to find our routes again

// A pod namespace with eth0 (veth peer of pnv0 in a host namespace), both ends up.
class AddrRoute : public HostPodTest {
 protected:
  void SetUp() override {
    HostPodTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto host =
        hnl_->create_veth({.host_name = "pnv0", .peer_name = "eth0", .peer_netns_fd = pod_ns_->fd()});
    ASSERT_TRUE(host) << host.error().message;
    eth0_ = host->link;
    auto up = pnl_->set_up(eth0_);
    ASSERT_TRUE(up) << up.error().message;
  }
  int eth0_ = 0;
};

TEST_F(AddrRoute, AddressesV4) {
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/24")));
  auto again = pnl_->add_address(eth0_, P("10.244.1.5/24"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, EEXIST) << again.error().message;
  EXPECT_EQ(VALUE_OR_FAIL(pnl_->list_addresses(eth0_, net::Family::v4)),
            std::vector<Prefix>{P("10.244.1.5/24")});
  EXPECT_NE(ip(pod_, "-4 addr show dev eth0").find("10.244.1.5/24"), std::string::npos);
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_address(eth0_, P("10.244.1.5/24"))));
  EXPECT_FALSE(VALUE_OR_FAIL(pnl_->del_address(eth0_, P("10.244.1.5/24"))));
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->list_addresses(eth0_, net::Family::v4)).empty());
}

TEST_F(AddrRoute, AddressesV6NoDad) {
  ASSERT_OK(pnl_->add_address(eth0_, P("fd00:10:244:1::5/64")));
  // Usable at once: flagged nodad, never tentative (the kernel's own link-local may be).
  std::string shown = ip(pod_, "-6 -o addr show dev eth0 to fd00:10:244:1::5/128");
  EXPECT_NE(shown.find("fd00:10:244:1::5/64"), std::string::npos) << shown;
  EXPECT_NE(shown.find("nodad"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("tentative"), std::string::npos) << shown;
  auto v6 = VALUE_OR_FAIL(pnl_->list_addresses(eth0_, net::Family::v6));
  EXPECT_NE(std::find(v6.begin(), v6.end(), P("fd00:10:244:1::5/64")), v6.end());
  // Unfiltered listing has both families.
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/24")));
  auto all = VALUE_OR_FAIL(pnl_->list_addresses(eth0_));
  EXPECT_NE(std::find(all.begin(), all.end(), P("10.244.1.5/24")), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), P("fd00:10:244:1::5/64")), all.end());
}

TEST_F(AddrRoute, NoPrefixRoute) {
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/24"), {.noprefixroute = true}));
  auto routes = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.table = 0}));
  for (const auto& r : routes) EXPECT_NE(r.dst, P("10.244.1.0/24"));
}

TEST_F(AddrRoute, RoutesV4AddListReplaceDelete) {
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/24")));
  Route gw_route{
      .dst = P("0.0.0.0/0"), .gw = A("10.244.1.1"), .ifindex = eth0_, .protocol = kProto};
  ASSERT_OK(pnl_->add_route(gw_route));
  auto dup = pnl_->add_route(gw_route);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().sys_errno, EEXIST);

  Route svc{.dst = P("10.96.0.0/12"),
            .gw = A("10.244.1.1"),
            .ifindex = eth0_,
            .protocol = kProto,
            .mtu = 1400,
            .advmss = 1360,
            .priority = 10};
  ASSERT_OK(pnl_->add_route(svc));

  auto ours = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.protocol = kProto}));
  ASSERT_EQ(ours.size(), 2u);
  auto it =
      std::find_if(ours.begin(), ours.end(), [](const Route& r) { return r.dst.length() == 12; });
  ASSERT_NE(it, ours.end());
  EXPECT_EQ(it->dst, P("10.96.0.0/12"));
  EXPECT_EQ(it->gw, A("10.244.1.1"));
  EXPECT_EQ(it->ifindex, eth0_);
  EXPECT_EQ(it->table, static_cast<uint32_t>(RT_TABLE_MAIN));
  EXPECT_EQ(it->protocol, kProto);
  EXPECT_EQ(it->scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(it->mtu, 1400u);
  EXPECT_EQ(it->advmss, 1360u);
  EXPECT_EQ(it->priority, 10u);
  std::string shown = ip(pod_, "route show 10.96.0.0/12");
  EXPECT_NE(shown.find("proto 80"), std::string::npos) << shown;
  EXPECT_NE(shown.find("mtu 1400"), std::string::npos) << shown;

  // The kernel's own prefix route is not ours.
  auto kernel =
      VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.table = 0, .protocol = RTPROT_KERNEL}));
  ASSERT_EQ(kernel.size(), 1u);
  EXPECT_EQ(kernel[0].dst, P("10.244.1.0/24"));
  EXPECT_EQ(kernel[0].scope, RT_SCOPE_LINK);
  EXPECT_FALSE(kernel[0].gw);

  Route svc2 = svc;
  svc2.mtu = 1300;
  ASSERT_OK(pnl_->replace_route(svc2));
  ours = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.protocol = kProto}));
  EXPECT_EQ(ours.size(), 2u);
  for (const auto& r : ours)
    if (r.dst == P("10.96.0.0/12")) {
      EXPECT_EQ(r.mtu, 1300u);
    }

  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(svc)));
  EXPECT_FALSE(VALUE_OR_FAIL(pnl_->del_route(svc)));
  // A delete names its protocol: a route of another protocol is not ours to remove.
  Route other = gw_route;
  other.protocol = RTPROT_STATIC;
  EXPECT_FALSE(VALUE_OR_FAIL(pnl_->del_route(other)));
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(gw_route)));
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.protocol = kProto})).empty());
}

TEST_F(AddrRoute, RoutesOnlinkLinkScopeTableAndFilters) {
  // ptp style: /32 address, gateway only reachable via an onlink route.
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/32")));
  Route def{.dst = P("0.0.0.0/0"),
            .gw = A("169.254.1.1"),
            .ifindex = eth0_,
            .protocol = kProto,
            .onlink = true};
  ASSERT_OK(pnl_->add_route(def));
  Route link{.dst = P("10.244.1.0/24"), .ifindex = eth0_, .protocol = kProto};
  ASSERT_OK(pnl_->add_route(link));
  Route tbl{.dst = P("10.1.0.0/16"), .ifindex = eth0_, .table = 100, .protocol = kProto};
  ASSERT_OK(pnl_->add_route(tbl));

  auto main = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.table = 0, .protocol = kProto}));
  ASSERT_EQ(main.size(), 2u);
  for (const auto& r : main) {
    if (r.dst == P("0.0.0.0/0")) {
      EXPECT_TRUE(r.onlink);
      EXPECT_EQ(r.gw, A("169.254.1.1"));
    } else {
      EXPECT_EQ(r.dst, P("10.244.1.0/24"));
      EXPECT_EQ(r.scope, RT_SCOPE_LINK);
      EXPECT_FALSE(r.gw);
    }
  }
  auto t100 = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.table = 100}));
  ASSERT_EQ(t100.size(), 1u);
  EXPECT_EQ(t100[0].dst, P("10.1.0.0/16"));
  EXPECT_EQ(t100[0].table, 100u);
  auto by_if = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.ifindex = eth0_}));
  EXPECT_GE(by_if.size(), 3u);
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(tbl)));
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(def)));
}

TEST_F(AddrRoute, RoutesV6) {
  ASSERT_OK(pnl_->add_address(eth0_, P("fd00:10:244:1::5/64")));
  Route def{.dst = P("::/0"), .gw = A("fd00:10:244:1::1"), .ifindex = eth0_, .protocol = kProto};
  ASSERT_OK(pnl_->add_route(def));
  auto ours = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v6, {.protocol = kProto}));
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].dst, P("::/0"));
  EXPECT_EQ(ours[0].gw, A("fd00:10:244:1::1"));
  EXPECT_EQ(ours[0].ifindex, eth0_);
  EXPECT_EQ(ours[0].priority, 1024u);  // the kernel's IPv6 default metric
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(def)));
  EXPECT_FALSE(VALUE_OR_FAIL(pnl_->del_route(def)));
}

TEST_F(AddrRoute, RouteErrorsNameTheRoute) {
  // No address on eth0: the gateway is unreachable.
  auto r = pnl_->add_route({.dst = P("10.96.0.0/12"), .gw = A("10.244.1.1"), .ifindex = eth0_});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().sys_errno, 0);
  EXPECT_NE(r.error().message.find("add route 10.96.0.0/12 via 10.244.1.1"), std::string::npos)
      << r.error().message;
}

TEST_F(AddrRoute, BlackholeRoute) {
  Route bh{.dst = P("10.250.0.0/16"), .protocol = kProto, .type = RTN_BLACKHOLE};
  ASSERT_OK(pnl_->add_route(bh));
  auto ours = VALUE_OR_FAIL(pnl_->list_routes(net::Family::v4, {.protocol = kProto}));
  ASSERT_EQ(ours.size(), 1u);
  EXPECT_EQ(ours[0].type, RTN_BLACKHOLE);
  EXPECT_TRUE(VALUE_OR_FAIL(pnl_->del_route(bh)));
}

// RTM_GETROUTE as `ip route get` asks it: the matching route (FIB match) with its prefix and
// gateway, the source the kernel picks, local addresses, and the kernel's errors.
TEST_F(AddrRoute, RouteGet) {
  ASSERT_OK(pnl_->add_address(eth0_, P("10.244.1.5/24")));
  ASSERT_OK(pnl_->add_route(Route{
      .dst = P("10.96.0.0/12"), .gw = A("10.244.1.1"), .ifindex = eth0_, .protocol = kProto}));
  auto m = pnl_->route_get(RouteQuery{.dst = A("10.100.0.7"), .fib_match = true});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->route.dst, P("10.96.0.0/12"));
  EXPECT_EQ(m->route.gw, A("10.244.1.1"));
  EXPECT_EQ(m->route.ifindex, eth0_);
  EXPECT_EQ(m->route.protocol, kProto);
  auto plain = pnl_->route_get(RouteQuery{.dst = A("10.100.0.7")});
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->prefsrc, A("10.244.1.5"));
  auto local = pnl_->route_get(
      RouteQuery{.dst = A("10.244.1.5"), .src = A("10.244.1.9"), .iif = eth0_, .fib_match = true});
  ASSERT_TRUE(local) << local.error().message;
  EXPECT_EQ(local->route.type, RTN_LOCAL);
  auto none = pnl_->route_get(RouteQuery{.dst = A("192.0.2.1"), .fib_match = true});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().sys_errno, ENETUNREACH) << none.error().message;
  // The socket still answers after an error (sequence numbers in step).
  EXPECT_TRUE(pnl_->route_get(RouteQuery{.dst = A("10.244.1.7"), .fib_match = true}));
  EXPECT_EQ(VALUE_OR_FAIL(pnl_->forwarding(net::Family::v4)), 0);
}

}  // namespace
}  // namespace podnet::sys::test
