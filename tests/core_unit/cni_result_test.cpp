#include <gtest/gtest.h>

#include "podnet/cni/result.hpp"

using namespace podnet::cni;
using nlohmann::json;

namespace {
Result sample() {
  Result r;
  r.interfaces.push_back({"pn0123", "aa:bb:cc:dd:ee:01", 1450, "", "", ""});
  r.interfaces.push_back({"eth0", "aa:bb:cc:dd:ee:02", 1450, "/var/run/netns/p", "", ""});
  r.ips.push_back({*podnet::net::Prefix::parse("10.22.0.5/16"),
                   podnet::net::IpAddress::parse("10.22.0.1"), 1});
  Route rt;
  rt.dst = *podnet::net::Prefix::parse("0.0.0.0/0");
  rt.gw = podnet::net::IpAddress::parse("10.22.0.1");
  rt.mtu = 1400;
  r.routes.push_back(rt);
  r.dns.nameservers = {"10.96.0.10"};
  return r;
}
}  // namespace

TEST(Result, V040HasIpVersionAndNoV11Fields) {
  json j = to_json(sample(), "0.4.0");
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["ips"][0]["version"], "4");
  EXPECT_FALSE(j["interfaces"][0].contains("mtu"));
  EXPECT_FALSE(j["routes"][0].contains("mtu"));
}

TEST(Result, V100DropsIpVersion) {
  json j = to_json(sample(), "1.0.0");
  EXPECT_FALSE(j["ips"][0].contains("version"));
  EXPECT_EQ(j["ips"][0]["interface"], 1);
  EXPECT_EQ(j["interfaces"][1]["sandbox"], "/var/run/netns/p");
}

TEST(Result, V110CarriesMtuAndRoundTrips) {
  json j = to_json(sample(), "1.1.0");
  EXPECT_EQ(j["interfaces"][0]["mtu"], 1450);
  EXPECT_EQ(j["routes"][0]["mtu"], 1400);
  auto back = result_from_json(j);
  ASSERT_TRUE(back) << back.error().msg;
  EXPECT_EQ(*back, sample());
}

TEST(Result, DecodeErrorsNameTheField) {
  auto e = result_from_json(json::parse(R"({"ips":[{"address":"10.0.0.300/24"}]})"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Code::decode_failure);
  EXPECT_NE(e.error().msg.find("ips[].address"), std::string::npos);
  e = result_from_json(json::parse(R"({"routes":[{"dst":"10.0.0.0/8","gw":7}]})"));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().msg.find("routes[].gw"), std::string::npos);
  e = result_from_json(json::parse(
      R"({"interfaces":[{"name":"a"}],"ips":[{"address":"10.0.0.1/24","interface":3}]})"));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().msg.find("interface"), std::string::npos);
  EXPECT_FALSE(result_from_json(json::array()));
}
