#include "podnet/cluster/config.hpp"

#include <gtest/gtest.h>

namespace podnet::cluster {
namespace {

using nlohmann::json;

net::Prefix P(const char* s) {
  return *net::Prefix::parse(s);
}

std::string err_of(const json& j) {
  auto r = config_from_json(j);
  EXPECT_FALSE(r.has_value()) << j.dump();
  return r ? std::string() : r.error().message;
}

TEST(ClusterConfig, DefaultsFollowTheSeed) {
  ClusterConfig c;
  EXPECT_EQ(c.clusterCIDR.str(), "192.168.0.0/16");
  EXPECT_EQ(c.nodeSubnetLen, 24);
  EXPECT_EQ(c.serviceCIDR.str(), "10.96.0.0/12");
  EXPECT_EQ(c.nodePortRange.min, 30000);
  EXPECT_EQ(c.nodePortRange.max, 32767);
  EXPECT_EQ(c.backend.type, BackendType::vxlan);
  EXPECT_EQ(c.backend.vni, 1u);
  EXPECT_EQ(c.backend.port, 8472);
  EXPECT_TRUE(validate(c).has_value());
}

TEST(ClusterConfig, MinimalJsonTakesDefaults) {
  auto c = config_from_json(json{{"clusterCIDR", "192.168.0.0/16"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(*c, ClusterConfig{});
}

TEST(ClusterConfig, RoundTrip) {
  ClusterConfig c;
  c.clusterCIDR = P("10.244.0.0/16");
  c.nodeSubnetLen = 26;
  c.serviceCIDR = P("10.96.0.0/16");
  c.nodePortRange = {31000, 31999};
  c.backend = {BackendType::vxlan, 42, 4789};
  auto j = to_json(c);
  EXPECT_EQ(j["backend"]["type"], "vxlan");
  EXPECT_EQ(j["nodePortRange"]["min"], 31000);
  auto back = parse_config(j.dump());
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, c);

  c.backend.directRouting = true;
  j = to_json(c);
  EXPECT_EQ(j["backend"]["directRouting"], true);
  back = parse_config(j.dump());
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, c);

  c.backend = {BackendType::host_gw, 1, 8472};
  auto j2 = to_json(c);
  EXPECT_EQ(j2["backend"], json({{"type", "host-gw"}}));
  auto back2 = config_from_json(j2);
  ASSERT_TRUE(back2.has_value()) << back2.error().message;
  EXPECT_EQ(*back2, c);
}

TEST(ClusterConfig, Ipv6) {
  auto c = config_from_json(json{
      {"clusterCIDR", "fd00:10::/48"}, {"nodeSubnetLen", 64}, {"serviceCIDR", "fd00:96::/108"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->nodeSubnetLen, 64);
}

TEST(ClusterConfig, NotJson) {
  auto r = parse_config("{nope");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().message.starts_with("/podnet/config: not valid JSON: ")) << r.error().message;
  EXPECT_EQ(err_of(json::array()), "config: must be a JSON object");
}

struct Case {
  json doc;
  std::string message;
};

class ConfigErrors : public ::testing::TestWithParam<Case> {};

TEST_P(ConfigErrors, OneLineNamingTheField) {
  const auto& c = GetParam();
  std::string m = err_of(c.doc);
  EXPECT_EQ(m, c.message);
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

json base(json patch) {
  json j = {{"clusterCIDR", "192.168.0.0/16"}};
  j.merge_patch(patch);
  return j;
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        Case{json::object(), "clusterCIDR: missing"},
        Case{base({{"clusterCIDR", 7}}), "clusterCIDR: must be a string"},
        Case{base({{"clusterCIDR", "192.168.0.0"}}), "clusterCIDR: \"192.168.0.0\" is not a CIDR"},
        Case{base({{"clusterCIDR", "192.168.1.0/16"}}),
             "clusterCIDR: 192.168.1.0/16 has host bits set (did you mean 192.168.0.0/16?)"},
        Case{base({{"nodeSubnetLen", 16}}),
             "nodeSubnetLen: 16 must be in (16, 30] for clusterCIDR 192.168.0.0/16"},
        Case{base({{"nodeSubnetLen", 31}}),
             "nodeSubnetLen: 31 must be in (16, 30] for clusterCIDR 192.168.0.0/16"},
        Case{base({{"nodeSubnetLen", "24"}}), "nodeSubnetLen: must be an integer"},
        Case{base({{"nodeSubnetLen", 200}}), "nodeSubnetLen: 200 must be in 0..128"},
        Case{base({{"serviceCIDR", "10.96.0.1/12"}}),
             "serviceCIDR: 10.96.0.1/12 has host bits set (did you mean 10.96.0.0/12?)"},
        Case{base({{"clusterCIDR", "10.0.0.0/8"}}),
             "serviceCIDR: 10.96.0.0/12 overlaps clusterCIDR 10.0.0.0/8"},
        Case{base({{"serviceCIDR", "fd00::/108"}}),
             "serviceCIDR: fd00::/108 is not of the family of clusterCIDR 192.168.0.0/16"},
        Case{base({{"nodePortRange", {{"min", 32000}, {"max", 31000}}}}),
             "nodePortRange: 32000-31000 must satisfy 1 <= min <= max <= 65535"},
        Case{base({{"nodePortRange", {{"min", 0}}}}), "nodePortRange.min: 0 must be in 1..65535"},
        Case{base({{"nodePortRange", {{"max", 70000}}}}),
             "nodePortRange.max: 70000 must be in 1..65535"},
        Case{base({{"nodePortRange", 5}}), "nodePortRange: must be an object"},
        Case{base({{"backend", {{"type", "udp"}}}}),
             "backend.type: unknown backend \"udp\" (want vxlan or host-gw)"},
        Case{base({{"backend", {{"vni", 0}}}}), "backend.vni: 0 must be in 1..16777215"},
        Case{base({{"backend", {{"vni", 16777216}}}}),
             "backend.vni: 16777216 must be in 1..16777215"},
        Case{base({{"backend", {{"port", 0}}}}), "backend.port: 0 must be in 1..65535"},
        Case{base({{"backend", {{"port", 65536}}}}), "backend.port: 65536 must be in 1..65535"},
        Case{base({{"backend", {{"directRouting", "yes"}}}}),
             "backend.directRouting: must be true or false"},
        Case{base({{"backend", {{"type", "host-gw"}, {"directRouting", true}}}}),
             "backend.directRouting: only for the vxlan backend (host-gw routes directly "
             "anyway)"}));

TEST(ClusterConfig, ValidateCatchesHandBuiltMistakes) {
  ClusterConfig c;
  c.nodePortRange = {0, 10};
  EXPECT_EQ(validate(c).error().message,
            "nodePortRange: 0-10 must satisfy 1 <= min <= max <= 65535");
  c = {};
  c.backend.vni = 0;
  EXPECT_EQ(validate(c).error().message, "backend.vni: 0 must be in 1..16777215");
  c.backend.type = BackendType::host_gw;  // vni/port do not matter to host-gw
  EXPECT_TRUE(validate(c).has_value());
  c = {};
  c.backend.port = 0;
  EXPECT_EQ(validate(c).error().message, "backend.port: 0 must be in 1..65535");
  c = {};
  c.clusterCIDR = P("192.168.0.1/16");
  EXPECT_EQ(validate(c).error().message,
            "clusterCIDR: 192.168.0.1/16 has host bits set (did you mean 192.168.0.0/16?)");
  c = {};
  c.serviceCIDR = P("192.168.128.0/20");
  EXPECT_EQ(validate(c).error().message,
            "serviceCIDR: 192.168.128.0/20 overlaps clusterCIDR 192.168.0.0/16");
}

}  // namespace
}  // namespace podnet::cluster
