#include <gtest/gtest.h>

#include "podnet/cni/netconf.hpp"

using namespace podnet::cni;

TEST(NetConf, ParsesCommonKeysAndPrevResult) {
  auto c = parse_netconf(R"({"cniVersion":"1.0.0","name":"n","type":"podnet",
    "ipam":{"type":"podnet-ipam"},"runtimeConfig":{"mac":"aa:bb:cc:dd:ee:ff"},
    "prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}})");
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->name, "n");
  EXPECT_EQ(c->ipam["type"], "podnet-ipam");
  ASSERT_TRUE(c->prev_result);
  EXPECT_EQ(c->prev_result->ips[0].address.str(), "10.0.0.2/24");
}

TEST(NetConf, ErrorsCarrySpecCodes) {
  EXPECT_EQ(parse_netconf("{").error().code, Code::decode_failure);
  EXPECT_EQ(parse_netconf("[]").error().code, Code::decode_failure);
  EXPECT_EQ(parse_netconf(R"({"name":"n","type":"t"})").error().code, Code::invalid_config);
  auto e = parse_netconf(R"({"cniVersion":"9.9.9","name":"n","type":"t"})");
  EXPECT_EQ(e.error().code, Code::incompatible_version);
  EXPECT_NE(e.error().msg.find("9.9.9"), std::string::npos);
  e = parse_netconf(R"({"cniVersion":"1.0.0","type":"t"})");
  EXPECT_NE(e.error().msg.find("name"), std::string::npos);
  e = parse_netconf(R"({"cniVersion":"1.0.0","name":"n","type":"t","ipam":[]})");
  EXPECT_NE(e.error().msg.find("ipam"), std::string::npos);
  e = parse_netconf(R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":7}})");
  EXPECT_NE(e.error().msg.find("prevResult"), std::string::npos);
  e = parse_netconf(R"({"cniVersion":1,"name":"n","type":"t"})");
  EXPECT_NE(e.error().msg.find("cniVersion"), std::string::npos);
}

TEST(NetConf, TypedGettersNameTheKey) {
  auto j = nlohmann::json::parse(R"({"mtu":"big","isGateway":1})");
  auto mtu = get_int(j, "mtu", "");
  ASSERT_FALSE(mtu);
  EXPECT_NE(mtu.error().msg.find("mtu"), std::string::npos);
  EXPECT_FALSE(get_bool(j, "isGateway", ""));
  EXPECT_EQ(*get_string(j, "absent", ""), std::nullopt);
}
