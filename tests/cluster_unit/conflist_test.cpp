#include "podnet/cluster/conflist.hpp"

#include <gtest/gtest.h>

namespace podnet::cluster {
namespace {

using nlohmann::json;
using net::Family;
net::Prefix P(const char* s) { return *net::Prefix::parse(s); }

TEST(PodMtu, Math) {
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 1500, Family::v4), 1450);
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 1500, Family::v6), 1430);
  EXPECT_EQ(*pod_mtu(BackendType::host_gw, 1500, Family::v4), 1500);
  EXPECT_EQ(*pod_mtu(BackendType::host_gw, 9000, Family::v6), 9000);
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 9000, Family::v4), 8950);
  EXPECT_EQ(encap_overhead(BackendType::vxlan, Family::v4), 50);
  EXPECT_EQ(encap_overhead(BackendType::vxlan, Family::v6), 70);
  EXPECT_EQ(encap_overhead(BackendType::host_gw, Family::v4), 0);
  // boundaries: exactly the minimum is fine, one below is not
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 626, Family::v4), 576);
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 1350, Family::v6), 1280);
  EXPECT_EQ(*pod_mtu(BackendType::vxlan, 1330, Family::v4, Family::v6), 1280);
}

TEST(PodMtu, Errors) {
  EXPECT_EQ(pod_mtu(BackendType::vxlan, 625, Family::v4).error().message,
            "mtu: pod MTU 575 (underlay 625 - 50 for vxlan over IPv4) is below the IPv4 minimum 576");
  EXPECT_EQ(pod_mtu(BackendType::vxlan, 1349, Family::v6).error().message,
            "mtu: pod MTU 1279 (underlay 1349 - 70 for vxlan over IPv6) is below the IPv6 minimum 1280");
  EXPECT_EQ(pod_mtu(BackendType::vxlan, 1300, Family::v4, Family::v6).error().message,
            "mtu: pod MTU 1250 (underlay 1300 - 50 for vxlan over IPv4) is below the IPv6 minimum 1280");
  EXPECT_EQ(pod_mtu(BackendType::host_gw, 1000, Family::v6).error().message,
            "mtu: underlay MTU 1000 must be in 1280..65535 for IPv6");
  EXPECT_EQ(pod_mtu(BackendType::host_gw, 0, Family::v4).error().message,
            "mtu: underlay MTU 0 must be in 576..65535 for IPv4");
  EXPECT_EQ(pod_mtu(BackendType::host_gw, 65536, Family::v4).error().message,
            "mtu: underlay MTU 65536 must be in 576..65535 for IPv4");
}

TEST(Conflist, BridgeForTheSeed) {
  ClusterConfig c;
  auto j = make_conflist(c, P("192.168.4.0/24"), PodMode::bridge, 1500);
  ASSERT_TRUE(j.has_value()) << j.error().message;
  json want = json::parse(R"({
    "cniVersion": "1.1.0", "name": "podnet",
    "plugins": [{"type": "podnet", "mode": "bridge", "bridge": "podnet0", "mtu": 1500,
                 "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
                 "ipam": {"type": "podnet-ipam", "ranges": [[{"subnet": "192.168.4.0/24"}]],
                          "routes": [{"dst": "0.0.0.0/0", "mtu": 1450}]}}]})");
  EXPECT_EQ(*j, want) << j->dump(2);
}

TEST(Conflist, HostGwPtpAndDataDir) {
  ClusterConfig c;
  c.backend.type = BackendType::host_gw;
  auto j = make_conflist(c, P("192.168.5.0/24"), PodMode::ptp, 1500, Family::v4, "/var/lib/lab/lxb002/ipam");
  ASSERT_TRUE(j.has_value()) << j.error().message;
  const json& p = (*j)["plugins"][0];
  EXPECT_EQ(p["mode"], "ptp");
  EXPECT_EQ(p["mtu"], 1500);
  EXPECT_FALSE(p.contains("bridge"));
  EXPECT_FALSE(p.contains("hairpinMode"));
  EXPECT_EQ(p["ipam"]["dataDir"], "/var/lib/lab/lxb002/ipam");
  EXPECT_FALSE(p["ipam"].contains("routes"));  // no encapsulation: nothing smaller off-node
  EXPECT_FALSE(p.contains("gsoMaxSize"));  // the kernel's default unless asked
  auto big = make_conflist(c, P("192.168.5.0/24"), PodMode::ptp, 1500, Family::v4, "", 262144);
  ASSERT_TRUE(big.has_value()) << big.error().message;
  EXPECT_EQ((*big)["plugins"][0]["gsoMaxSize"], 262144);
  EXPECT_FALSE((*big)["plugins"][0]["ipam"].contains("dataDir"));
}

TEST(Conflist, VxlanOverIpv6Underlay) {
  ClusterConfig c;
  auto j = make_conflist(c, P("192.168.5.0/24"), PodMode::bridge, 1500, Family::v6);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["plugins"][0]["mtu"], 1500);
  EXPECT_EQ((*j)["plugins"][0]["ipam"]["routes"][0]["mtu"], 1430);
  c.clusterCIDR = P("fd00::/48");
  c.nodeSubnetLen = 64;
  c.serviceCIDR = P("fd00:1::/112");
  auto v6pods = make_conflist(c, P("fd00:0:0:5::/64"), PodMode::ptp, 1500, Family::v6);
  ASSERT_TRUE(v6pods.has_value()) << v6pods.error().message;
  EXPECT_EQ((*v6pods)["plugins"][0]["ipam"]["routes"][0]["dst"], "::/0");
}

TEST(Conflist, Errors) {
  ClusterConfig c;
  EXPECT_EQ(make_conflist(c, P("10.0.4.0/24"), PodMode::bridge, 1500).error().message,
            "subnet: 10.0.4.0/24 is not a subnet of clusterCIDR 192.168.0.0/16");
  EXPECT_EQ(make_conflist(c, P("192.168.4.1/24"), PodMode::bridge, 1500).error().message,
            "subnet: 192.168.4.1/24 is not a subnet of clusterCIDR 192.168.0.0/16");
  EXPECT_EQ(make_conflist(c, P("192.168.4.0/24"), PodMode::bridge, 600).error().message,
            "mtu: pod MTU 550 (underlay 600 - 50 for vxlan over IPv4) is below the IPv4 minimum 576");
  c.backend.vni = 0;
  EXPECT_EQ(make_conflist(c, P("192.168.4.0/24"), PodMode::bridge, 1500).error().message,
            "backend.vni: 0 must be in 1..16777215");
}

TEST(PodMode, Names) {
  EXPECT_EQ(to_string(PodMode::bridge), "bridge");
  EXPECT_EQ(to_string(PodMode::ptp), "ptp");
  EXPECT_EQ(parse_pod_mode("bridge"), PodMode::bridge);
  EXPECT_EQ(parse_pod_mode("ptp"), PodMode::ptp);
  EXPECT_FALSE(parse_pod_mode("Bridge"));
  EXPECT_FALSE(parse_pod_mode(""));
  ClusterConfig c;
  EXPECT_EQ(
      make_conflist(c, P("192.168.4.0/24"), PodMode::bridge, 1500).value()["plugins"][0]["bridge"],
      kPodBridge);
}

}  // namespace
}  // namespace podnet::cluster
