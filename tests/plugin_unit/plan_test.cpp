#include <gtest/gtest.h>

#include "podnet/plugin/plan.hpp"

using namespace podnet;
using namespace podnet::plugin;

namespace {
PluginConf conf_of(const std::string& extra) {
  auto net = cni::parse_netconf(R"({"cniVersion":"1.1.0","name":"n","type":"podnet","ipam":{"type":"x"})" +
                                std::string(extra.empty() ? "" : ",") + extra + "}");
  return *parse_conf(*net, cni::Env{});
}
cni::Result ipam_result(const std::string& addr, const std::string& gw) {
  cni::Result r;
  r.ips.push_back({*net::Prefix::parse(addr), net::IpAddress::parse(gw), std::nullopt});
  return r;
}
}  // namespace

TEST(Plan, BridgeModeGatewayOnBridgeAndDefaultRoute) {
  auto p = make_plan(conf_of(""), ipam_result("10.1.0.5/24", "10.1.0.1"), "c1", "eth0");
  ASSERT_TRUE(p) << p.error().msg;
  ASSERT_EQ(p->bridge_addresses.size(), 1u);
  EXPECT_EQ(p->bridge_addresses[0].str(), "10.1.0.1/24");
  ASSERT_EQ(p->pod_routes.size(), 1u);
  EXPECT_EQ(p->pod_routes[0].dst.str(), "0.0.0.0/0");
  EXPECT_EQ(p->pod_routes[0].gw->str(), "10.1.0.1");
  EXPECT_TRUE(p->host_routes.empty());
  EXPECT_TRUE(p->masq.empty());
}

TEST(Plan, PtpModeRoutesEverythingThroughTheHost) {
  auto p = make_plan(conf_of(R"("mode":"ptp","ipMasq":true)"), ipam_result("10.1.0.5/24", "10.1.0.1"), "c1", "eth0");
  ASSERT_TRUE(p) << p.error().msg;
  EXPECT_TRUE(p->bridge_addresses.empty());
  ASSERT_EQ(p->host_veth_addresses.size(), 1u);
  EXPECT_EQ(p->host_veth_addresses[0].str(), "10.1.0.1/32");
  EXPECT_EQ(p->host_routes[0].str(), "10.1.0.5/32");
  EXPECT_TRUE(p->pod_routes[0].link_scope);
  EXPECT_EQ(p->pod_routes[0].dst.str(), "10.1.0.1/32");
  EXPECT_EQ(p->pod_routes.back().dst.str(), "0.0.0.0/0");
  ASSERT_EQ(p->masq.size(), 1u);
  EXPECT_EQ(p->masq[0].subnet.masked().str(), "10.1.0.0/24");
}

TEST(Plan, IpamDefaultRouteIsNotDuplicated) {
  auto r = ipam_result("10.1.0.5/24", "10.1.0.1");
  cni::Route def;
  def.dst = *net::Prefix::parse("0.0.0.0/0");
  r.routes.push_back(def);
  auto p = make_plan(conf_of(""), r, "c1", "eth0");
  ASSERT_EQ(p->pod_routes.size(), 1u);
  EXPECT_EQ(p->pod_routes[0].gw->str(), "10.1.0.1") << "a route without gw goes via the gateway";
}

TEST(Plan, DualStack) {
  auto r = ipam_result("10.1.0.5/24", "10.1.0.1");
  r.ips.push_back({*net::Prefix::parse("fd00:1::5/64"), net::IpAddress::parse("fd00:1::1"), std::nullopt});
  auto p = make_plan(conf_of(""), r, "c1", "eth0");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->bridge_addresses.size(), 2u);
  EXPECT_EQ(p->pod_routes.size(), 2u);
  EXPECT_TRUE(p->needs_ipv6_forwarding);
}

TEST(Plan, RejectsUnusableIpamResults) {
  EXPECT_FALSE(make_plan(conf_of(""), cni::Result{}, "c1", "eth0"));
  EXPECT_FALSE(make_plan(conf_of(""), ipam_result("10.1.0.1/24", "10.1.0.1"), "c1", "eth0"));
}

TEST(Plan, ResultChainsOntoPrevResult) {
  auto conf = conf_of("");
  auto ipam = ipam_result("10.1.0.5/24", "10.1.0.1");
  auto p = *make_plan(conf, ipam, "c1", "eth0");
  cni::Result prev;
  prev.interfaces.push_back({"lo", "", std::nullopt, "/x", "", ""});
  auto r = make_result(conf, p, ipam, LinkFacts{"aa:00:00:00:00:01", "aa:00:00:00:00:02", "aa:00:00:00:00:03", "/x"}, prev);
  ASSERT_EQ(r.interfaces.size(), 4u);
  EXPECT_EQ(r.interfaces[3].name, "eth0");
  EXPECT_EQ(r.ips[0].interface, 3);
  auto entries = masq_entries_of(r, "eth0");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].pod.str(), "10.1.0.5");
}

// On a bridge, an IPv4-only pod and every bridge port stay silent on IPv6 (their DAD, MLD and
// router solicitations would be flooded to all ports); routed pods and IPv6 pods keep fe80::.
TEST(Plan, Ipv6LinkLocalOnlyWhereItIsNotFloodedOrIsNeeded) {
  auto v4 = ipam_result("10.1.0.5/24", "10.1.0.1");
  auto dual = v4;
  dual.ips.push_back({*net::Prefix::parse("fd00:1::5/64"), net::IpAddress::parse("fd00:1::1"), std::nullopt});
  auto bridge = conf_of(""), ptp = conf_of(R"("mode":"ptp")");
  EXPECT_FALSE(make_plan(bridge, v4, "c1", "eth0")->pod_ipv6_link_local);
  EXPECT_TRUE(make_plan(bridge, dual, "c1", "eth0")->pod_ipv6_link_local);
  EXPECT_TRUE(make_plan(ptp, v4, "c1", "eth0")->pod_ipv6_link_local);
  EXPECT_FALSE(host_ipv6_link_local(bridge));
  EXPECT_TRUE(host_ipv6_link_local(ptp));
}
