// Findings in podnet-ipam's configuration parser (fuzz/fuzz_ipam_config.cpp checks these).
#include <gtest/gtest.h>

#include "podnet/cni/netconf.hpp"
#include "podnet/ipam/config.hpp"

using namespace podnet;

namespace {
cni::NetConf net_of(const std::string& text) {
  auto n = cni::parse_netconf(text);
  EXPECT_TRUE(n) << n.error().msg;
  return *n;
}
}  // namespace

// The network name and ipam.dataDir become a directory path: with a NUL the kernel would
// see a shorter path ("ab\u0000c" → dataDir/ab, another network's allocations).
TEST(FuzzRegressIpamConfig, NulInNetworkNameOrDataDirIsRejected) {
  // The network name is refused already by the config parser (libcni's name rule), code 7.
  auto name = cni::parse_netconf(R"({"cniVersion":"1.0.0","name":"ab\u0000c","type":"podnet",
      "ipam":{"type":"podnet-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]]}})");
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().code, cni::Code::invalid_config);

  auto dir = net_of(R"({"cniVersion":"1.0.0","name":"ab","type":"podnet",
      "ipam":{"type":"podnet-ipam","dataDir":"/run/x\u0000/y","ranges":[[{"subnet":"10.1.0.0/24"}]]}})");
  EXPECT_FALSE(ipam::parse_location(dir));
  EXPECT_FALSE(ipam::parse_ipam_config(dir, {}));
}

// fuzz_ip-crash-f7bf4ee6 seen from the config: an address with a NUL and trailing bytes
// used to parse as the text before the NUL.
TEST(FuzzRegressIpamConfig, AddressWithNulIsRejected) {
  auto gw = net_of(R"({"cniVersion":"1.0.0","name":"n","type":"podnet",
      "ipam":{"type":"podnet-ipam","ranges":[[{"subnet":"10.1.0.0/24","gateway":"10.1.0.1\u0000x"}]]}})");
  auto c = ipam::parse_ipam_config(gw, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, cni::Code::invalid_config);
  EXPECT_NE(c.error().msg.find("gateway"), std::string::npos) << c.error().msg;
}

// Same truncation in ipam.routes: "mtu": 4294968796 became 1500.
TEST(FuzzRegressIpamConfig, RouteIntegerOutOfRangeIsRejected) {
  auto net = net_of(R"({"cniVersion":"1.0.0","name":"n","type":"podnet",
      "ipam":{"type":"podnet-ipam","ranges":[[{"subnet":"10.1.0.0/24"}]],
              "routes":[{"dst":"10.0.0.0/8","mtu":4294968796}]}})");
  auto c = ipam::parse_ipam_config(net, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, cni::Code::invalid_config);
  EXPECT_NE(c.error().msg.find("ipam.routes[0].mtu"), std::string::npos) << c.error().msg;
}
