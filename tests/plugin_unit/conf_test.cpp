#include <gtest/gtest.h>

#include "podnet/plugin/conf.hpp"

using namespace podnet;
using namespace podnet::plugin;

namespace {
std::expected<PluginConf, cni::CniError> parse(const std::string& extra,
                                               std::vector<std::pair<std::string, std::string>> args = {}) {
  std::string text = R"({"cniVersion":"1.1.0","name":"n","type":"podnet","ipam":{"type":"podnet-ipam"})" +
                     (extra.empty() ? "" : "," + extra) + "}";
  auto net = cni::parse_netconf(text);
  EXPECT_TRUE(net) << net.error().msg;
  cni::Env env;
  env.args = std::move(args);
  return parse_conf(*net, env);
}
void expect_error(const std::string& extra, const std::string& needle, cni::Code code = cni::Code::invalid_config) {
  auto c = parse(extra);
  ASSERT_FALSE(c) << extra;
  EXPECT_EQ(c.error().code, code) << c.error().msg;
  EXPECT_NE(c.error().msg.find(needle), std::string::npos) << c.error().msg;
}
}  // namespace

TEST(PluginConf, DefaultsMakeAWorkingPodNetwork) {
  auto c = parse("");
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->mode, Mode::bridge);
  EXPECT_EQ(c->bridge, "podnet0");
  EXPECT_EQ(c->mtu, 1500);
  EXPECT_TRUE(c->is_gateway);
  EXPECT_TRUE(c->is_default_gateway);
  EXPECT_FALSE(c->ip_masq);
  EXPECT_EQ(c->ipam_type, "podnet-ipam");
}

TEST(PluginConf, ReferenceBridgeKeys) {
  auto c = parse(R"("bridge":"cni0","mtu":1450,"isGateway":true,"ipMasq":true,"hairpinMode":true,"forceAddress":true)");
  ASSERT_TRUE(c) << c.error().msg;
  EXPECT_EQ(c->bridge, "cni0");
  EXPECT_EQ(c->mtu, 1450);
  EXPECT_TRUE(c->hairpin_mode);
  EXPECT_TRUE(c->force_address);
  auto off = parse(R"("isGateway":false)");
  EXPECT_FALSE(off->is_default_gateway);
}

TEST(PluginConf, EveryBadValueNamesItsKey) {
  expect_error(R"("mode":"tunnel")", "mode");
  expect_error(R"("bridge":"a-very-long-bridge-name")", "bridge");
  expect_error(R"("mtu":10)", "mtu");
  expect_error(R"("mtu":"1500")", "mtu");
  expect_error(R"("ipMasq":"yes")", "ipMasq");
  expect_error(R"("mode":"ptp","bridge":"x")", "bridge");
  expect_error(R"("vlan":3)", "vlan", cni::Code::unsupported_field);
  expect_error(R"("macspoofchk":true)", "macspoofchk", cni::Code::unsupported_field);
  expect_error(R"("promiscMode":true)", "promiscMode", cni::Code::unsupported_field);
  expect_error(R"("runtimeConfig":{"mac":"01:00:00:00:00:01"})", "mac");
  expect_error(R"("logLevel":"loud")", "logLevel");
}

TEST(PluginConf, MacFromRuntimeConfigArgsAndEnv) {
  auto c = parse(R"("runtimeConfig":{"mac":"0a:58:0a:00:00:05"})");
  EXPECT_EQ(c->mac, "0a:58:0a:00:00:05");
  c = parse("", {{"MAC", "0a:58:0a:00:00:06"}});
  EXPECT_EQ(c->mac, "0a:58:0a:00:00:06");
  c = parse(R"("args":{"cni":{"mac":"0a:58:0a:00:00:07"}})", {{"MAC", "0a:58:0a:00:00:06"}});
  EXPECT_EQ(c->mac, "0a:58:0a:00:00:07");
}

TEST(PluginConf, UnknownCniArgsNeedIgnoreUnknown) {
  auto c = parse("", {{"FOO", "1"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, cni::Code::invalid_env);
  EXPECT_NE(c.error().msg.find("FOO"), std::string::npos);
  EXPECT_TRUE(parse("", {{"FOO", "1"}, {"IgnoreUnknown", "1"}}));
  EXPECT_TRUE(parse("", {{"K8S_POD_NAME", "web-1"}}));
}

TEST(PluginConf, HostVethNamesAreStableShortAndDistinct) {
  auto a = host_veth_name("abc", "eth0");
  EXPECT_EQ(a, host_veth_name("abc", "eth0"));
  EXPECT_NE(a, host_veth_name("abc", "eth1"));
  EXPECT_NE(a, host_veth_name("abd", "eth0"));
  EXPECT_LE(a.size(), 15u);
  EXPECT_TRUE(a.starts_with("pn"));
}

TEST(PluginConf, GsoMaxSizeIsBigTcpWithinTheKernelsBounds) {
  EXPECT_EQ(parse("")->gso_max_size, 0u);  // the kernel's 65536
  EXPECT_EQ(parse(R"("gsoMaxSize":0)")->gso_max_size, 0u);
  EXPECT_EQ(parse(R"("gsoMaxSize":262144)")->gso_max_size, 262144u);
  EXPECT_EQ(parse(R"("gsoMaxSize":524280)")->gso_max_size, 524280u);
  expect_error(R"("gsoMaxSize":65535)", "gsoMaxSize: 65535 is outside 65536..524280");
  expect_error(R"("gsoMaxSize":524288)", "gsoMaxSize");
  expect_error(R"("gsoMaxSize":-1)", "gsoMaxSize");
  expect_error(R"("gsoMaxSize":"big")", "gsoMaxSize");
}

TEST(PluginConf, LogFileMustBeAbsolute) {
  expect_error(R"("logFile":"podnet.log")", "logFile: 'podnet.log' is not an absolute path");
  expect_error(R"("logFile":"../x")", "logFile: '../x' is not an absolute path");
  EXPECT_TRUE(parse(R"("logFile":"/var/log/podnet.log")"));
}

TEST(PluginConf, BridgeNameWithControlBytesIsRefused) {
  expect_error(R"("bridge":"br\u001b0")", "bridge: interface name");
  expect_error(R"("bridge":"br\u0085")", "bridge: interface name");
}
