#include <gtest/gtest.h>

#include "podnet/ipam/errors.hpp"
#include "test_util.hpp"

namespace podnet::ipam::testing {
namespace {

// Expects a config error whose message is exactly `msg` (so each names its field).
void expect_error(const std::string& text, const std::string& msg,
                  cni::Code code = cni::Code::invalid_config, const CniArgs& args = {}) {
  auto c = parse(text, args);
  ASSERT_FALSE(c.has_value()) << text;
  EXPECT_EQ(c.error().code, code) << c.error().msg;
  EXPECT_EQ(c.error().msg, msg);
}

TEST(IpamConfig, LegacySingleRangeDefaultsAsHostLocal) {
  auto c = parse_ok(netconf(R"({"type":"podnet-ipam","subnet":"10.1.2.0/24"})"));
  ASSERT_EQ(c.range_sets.size(), 1u);
  const Range& r = c.range_sets[0].ranges[0];
  EXPECT_EQ(r.subnet.str(), "10.1.2.0/24");
  EXPECT_EQ(r.gateway, ip("10.1.2.1"));
  EXPECT_EQ(r.start, ip("10.1.2.1"));  // the gateway is skipped by the iterator
  EXPECT_EQ(r.end, ip("10.1.2.254"));
  EXPECT_EQ(r.field, "ipam");
  EXPECT_EQ(c.location.data_dir, "/var/lib/cni/networks");
  EXPECT_EQ(c.location.network, "net1");
  EXPECT_EQ(c.location.dir(), "/var/lib/cni/networks/net1");
}

TEST(IpamConfig, LockTimeout) {
  EXPECT_EQ(parse_ok(netconf(R"({"type":"podnet-ipam","subnet":"10.1.2.0/24"})"))
                .location.lock_timeout,
            std::chrono::seconds(30));
  EXPECT_EQ(
      parse_ok(netconf(R"({"type":"podnet-ipam","subnet":"10.1.2.0/24","lockTimeoutMs":250})"))
          .location.lock_timeout,
      std::chrono::milliseconds(250));
  expect_error(netconf(R"({"type":"podnet-ipam","subnet":"10.1.2.0/24","lockTimeoutMs":0})"),
               "ipam.lockTimeoutMs: 0 is not between 1 and 3600000");
}

TEST(IpamConfig, Ipv6DefaultsRunToTheLastAddress) {
  auto c = parse_ok(netconf(R"({"ranges":[[{"subnet":"fd00:1::/120"}]]})"));
  const Range& r = c.range_sets[0].ranges[0];
  EXPECT_EQ(r.gateway, ip("fd00:1::1"));
  EXPECT_EQ(r.start, ip("fd00:1::1"));
  EXPECT_EQ(r.end, ip("fd00:1::ff"));
}

TEST(IpamConfig, ExplicitRangeAndGateway) {
  auto c = parse_ok(netconf(
      R"({"ranges":[[{"subnet":"10.10.0.0/16","rangeStart":"10.10.1.20","rangeEnd":"10.10.3.50","gateway":"10.10.0.254"}]]})"));
  const Range& r = c.range_sets[0].ranges[0];
  EXPECT_EQ(r.start, ip("10.10.1.20"));
  EXPECT_EQ(r.end, ip("10.10.3.50"));
  EXPECT_EQ(r.gateway, ip("10.10.0.254"));
  EXPECT_EQ(r.field, "ipam.ranges[0][0]");
}

TEST(IpamConfig, HostBitsInSubnetAreMasked) {
  auto c = parse_ok(netconf(R"({"subnet":"10.1.2.77/24"})"));
  EXPECT_EQ(c.range_sets[0].ranges[0].subnet.str(), "10.1.2.0/24");
  EXPECT_EQ(c.range_sets[0].ranges[0].gateway, ip("10.1.2.1"));
}

TEST(IpamConfig, RangeSetOrderIsRuntimeThenLegacyThenRanges) {
  auto c = parse_ok(netconf(R"({"subnet":"10.2.0.0/24","ranges":[[{"subnet":"10.3.0.0/24"}]]})",
                            R"("runtimeConfig":{"ipRanges":[[{"subnet":"10.1.0.0/24"}]]})"));
  ASSERT_EQ(c.range_sets.size(), 3u);
  EXPECT_EQ(c.range_sets[0].str(), "10.1.0.0/24");
  EXPECT_EQ(c.range_sets[0].field, "runtimeConfig.ipRanges[0]");
  EXPECT_EQ(c.range_sets[1].str(), "10.2.0.0/24");
  EXPECT_EQ(c.range_sets[2].str(), "10.3.0.0/24");
}

TEST(IpamConfig, DualStackAndMultiRangeSets) {
  auto c = parse_ok(netconf(
      R"({"ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"10.2.0.0/24"}],[{"subnet":"fd00::/64"}]]})"));
  ASSERT_EQ(c.range_sets.size(), 2u);
  EXPECT_EQ(c.range_sets[0].ranges.size(), 2u);
  EXPECT_EQ(c.range_sets[0].str(), "10.1.0.0/24, 10.2.0.0/24");
  EXPECT_EQ(c.range_sets[1].family(), net::Family::v6);
}

TEST(IpamConfig, SameSubnetDisjointRangesInTwoSetsIsAllowedAsHostLocal) {
  auto c = parse(netconf(
      R"({"ranges":[[{"subnet":"10.1.0.0/24","rangeEnd":"10.1.0.100"}],[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.101"}]]})"));
  EXPECT_TRUE(c.has_value()) << c.error().msg;
}

TEST(IpamConfig, DataDirRoutesResolvConf) {
  auto c = parse_ok(netconf(
      R"({"subnet":"10.1.0.0/24","dataDir":"/run/x/","resolvConf":"/etc/r.conf","routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.9","mtu":1400}]})"));
  EXPECT_EQ(c.location.data_dir, "/run/x");
  EXPECT_EQ(c.resolv_conf, "/etc/r.conf");
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].dst.str(), "0.0.0.0/0");
  EXPECT_FALSE(c.routes[0].gw);
  EXPECT_EQ(c.routes[1].gw, ip("10.1.0.9"));
  EXPECT_EQ(c.routes[1].mtu, 1400);
}

TEST(IpamConfig, RequestedAddressesFromAllSourcesGoToTheirSets) {
  auto c = parse_ok(
      netconf(R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]]})",
              R"("args":{"cni":{"ips":["fd00::7"]}},"runtimeConfig":{"ips":["10.1.0.9/24"]})"));
  ASSERT_EQ(c.requested.size(), 2u);
  EXPECT_EQ(c.requested[0], ip("10.1.0.9"));
  EXPECT_EQ(c.requested[1], ip("fd00::7"));
  auto d = parse_ok(netconf(R"({"subnet":"10.1.0.0/24"})"),
                    {{"IgnoreUnknown", "1"}, {"IP", "10.1.0.5"}});
  EXPECT_EQ(d.requested[0], ip("10.1.0.5"));
  auto e = parse_ok(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]]})"),
                    {{"IP", "10.1.0.5,fd00::5"}});
  EXPECT_EQ(e.requested[1], ip("fd00::5"));
  // The same address from two sources is one request.
  auto f =
      parse_ok(netconf(R"({"subnet":"10.1.0.0/24"})", R"("args":{"cni":{"ips":["10.1.0.5"]}})"),
               {{"IP", "10.1.0.5"}});
  EXPECT_EQ(f.requested[0], ip("10.1.0.5"));
}

TEST(IpamConfigErrors, Structure) {
  expect_error(R"({"cniVersion":"1.1.0","name":"n","type":"podnet-ipam"})",
               "ipam: missing (podnet-ipam reads its ranges from it)");
  expect_error(netconf(R"({"type":"podnet-ipam"})"),
               "ipam.ranges: no address ranges (set ipam.ranges or ipam.subnet)");
  expect_error(netconf(R"({"ranges":{}})"), "ipam.ranges: want a list of range sets, got object");
  expect_error(netconf(R"({"ranges":[{}]})"), "ipam.ranges[0]: want a list of ranges, got object");
  expect_error(netconf(R"({"ranges":[[]]})"), "ipam.ranges[0]: empty range set");
  expect_error(netconf(R"({"ranges":[["10.1.0.0/24"]]})"),
               "ipam.ranges[0][0]: want an object {subnet, rangeStart, rangeEnd, gateway}, got "
               "string");
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","dataDir":5})"),
               "ipam.dataDir: want a string, got number");
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","resolvConf":true})"),
               "ipam.resolvConf: want a string, got boolean");
  expect_error(
      R"({"cniVersion":"1.1.0","name":"../etc","type":"x","ipam":{"subnet":"10.1.0.0/24"}})",
      "name: invalid network name '../etc': must start with a letter or digit");
}

// Issue 9: values that would make the IPAM act on the wrong place or on no real network.
TEST(IpamConfigErrors, HostileValuesAreRefused) {
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","dataDir":"var/lib/cni"})"),
               "ipam.dataDir: 'var/lib/cni' is not an absolute path");
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","dataDir":"./x"})"),
               "ipam.dataDir: './x' is not an absolute path");
  expect_error(netconf(R"({"subnet":"0.0.0.0/0"})"),
               "ipam.subnet: 0.0.0.0/0 covers every address; give the pod network's subnet");
  expect_error(netconf(R"({"ranges":[[{"subnet":"::/0"}]]})"),
               "ipam.ranges[0][0].subnet: ::/0 covers every address; give the pod network's "
               "subnet");
  expect_error(netconf(R"({"subnet":"224.1.0.0/16"})"),
               "ipam.subnet: 224.1.0.0/16 is multicast (224.0.0.0/4)");
  expect_error(netconf(R"({"subnet":"192.0.0.0/2"})"),
               "ipam.subnet: 192.0.0.0/2 is multicast (224.0.0.0/4)");
  expect_error(netconf(R"({"ranges":[[{"subnet":"ff02::/64"}]]})"),
               "ipam.ranges[0][0].subnet: ff02::/64 is multicast (ff00::/8)");
  expect_error(netconf(R"({"subnet":"10.1.0.0/08"})"), "ipam.subnet: invalid CIDR '10.1.0.0/08'");
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","routes":[{"dst":"0.0.0.0/00"}]})"),
               "ipam.routes[0].dst: invalid CIDR '0.0.0.0/00'");
  for (const char* name : {"...", ".podnet", "a\\nb", "a\\u0001"})
    EXPECT_EQ(parse(R"({"cniVersion":"1.1.0","name":")" + std::string(name) +
                    R"(","type":"x","ipam":{"subnet":"10.1.0.0/24"}})")
                  .error()
                  .code,
              cni::Code::invalid_config)
        << name;
}

TEST(IpamConfigErrors, RangeFieldsAreNamed) {
  expect_error(netconf(R"({"ranges":[[{"rangeStart":"10.1.0.5"}]]})"),
               "ipam.ranges[0][0].subnet: missing");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/33"}]]})"),
               "ipam.ranges[0][0].subnet: invalid CIDR '10.1.0.0/33'");
  expect_error(netconf(R"({"ranges":[[{"subnet":7}]]})"),
               "ipam.ranges[0][0].subnet: want a string, got number");
  expect_error(netconf(R"({"subnet":"10.1.0.0/31"})"),
               "ipam.subnet: 10.1.0.0/31 is too small to allocate from (at most /30)");
  expect_error(netconf(R"({"ranges":[[{"subnet":"fd00::/127"}]]})"),
               "ipam.ranges[0][0].subnet: fd00::/127 is too small to allocate from (at most /126)");
  expect_error(
      netconf(
          R"({"ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":"10.1.0.0/16","rangeStart":"10.2.0.5"}]]})"),
      "ipam.ranges[0][1].rangeStart: 10.2.0.5 is outside subnet 10.1.0.0/16");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/16","rangeEnd":"10.3.0.0"}]]})"),
               "ipam.ranges[0][0].rangeEnd: 10.3.0.0 is outside subnet 10.1.0.0/16");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/16","gateway":"10.9.0.1"}]]})"),
               "ipam.ranges[0][0].gateway: 10.9.0.1 is outside subnet 10.1.0.0/16");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/16","gateway":"fd00::1"}]]})"),
               "ipam.ranges[0][0].gateway: fd00::1 is IPv6 but subnet 10.1.0.0/16 is IPv4");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/16","rangeStart":"10.1.x.1"}]]})"),
               "ipam.ranges[0][0].rangeStart: invalid IP address '10.1.x.1'");
  expect_error(
      netconf(
          R"({"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.9","rangeEnd":"10.1.0.2"}]]})"),
      "ipam.ranges[0][0].rangeEnd: 10.1.0.2 is before rangeStart 10.1.0.9");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"fd00::/64"}]]})"),
               "ipam.ranges[0][1].subnet: fd00::/64 is IPv6 but ipam.ranges[0][0] is IPv4 (a range "
               "set holds one family)");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/24"},{"subnet":"10.1.0.0/25"}]]})"),
               "ipam.ranges[0][1]: 10.1.0.1-10.1.0.126 overlaps ipam.ranges[0][0] "
               "(10.1.0.1-10.1.0.254)");
  expect_error(
      netconf(
          R"({"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.1","rangeEnd":"10.1.0.1"}]]})"),
      "ipam.ranges[0]: has no address to hand out (only gateway, network or broadcast "
      "addresses)");
}

TEST(IpamConfigErrors, OverlapBetweenRangeSets) {
  expect_error(
      netconf(
          R"({"ranges":[[{"subnet":"10.1.0.0/16"}],[{"subnet":"fd00::/64"}],[{"subnet":"10.1.4.0/24"}]]})"),
      "ipam.ranges[2]: overlaps range set ipam.ranges[0] (10.1.0.0/16)");
  expect_error(netconf(R"({"subnet":"10.1.0.0/24","ranges":[[{"subnet":"10.1.0.0/24"}]]})"),
               "ipam.ranges[0]: overlaps range set ipam (10.1.0.0/24)");
}

TEST(IpamConfigErrors, Routes) {
  const std::string s = R"("subnet":"10.1.0.0/24",)";
  expect_error(netconf("{" + s + R"("routes":{}})"), "ipam.routes: want a list, got object");
  expect_error(netconf("{" + s + R"("routes":["x"]})"),
               "ipam.routes[0]: want an object {dst, gw}, got string");
  expect_error(netconf("{" + s + R"("routes":[{"gw":"10.1.0.1"}]})"),
               "ipam.routes[0].dst: missing");
  expect_error(netconf("{" + s + R"("routes":[{"dst":"0.0.0.0/0"},{"dst":"10.0.0.0"}]})"),
               "ipam.routes[1].dst: invalid CIDR '10.0.0.0'");
  expect_error(netconf("{" + s + R"("routes":[{"dst":"0.0.0.0/0","gw":"nope"}]})"),
               "ipam.routes[0].gw: invalid IP address 'nope'");
  expect_error(netconf("{" + s + R"("routes":[{"dst":"0.0.0.0/0","gw":"fd00::1"}]})"),
               "ipam.routes[0].gw: IPv6 gateway fd00::1 for IPv4 destination 0.0.0.0/0");
  expect_error(netconf("{" + s + R"("routes":[{"dst":"0.0.0.0/0","mtu":"big"}]})"),
               "ipam.routes[0].mtu: want an integer, got string");
}

TEST(IpamConfigErrors, RequestedAddresses) {
  const std::string ipam = R"({"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]]})";
  expect_error(netconf(ipam), "CNI_ARGS IP: invalid IP address '10.1.0.300'",
               cni::Code::invalid_env, {{"IP", "10.1.0.300"}});
  expect_error(netconf(ipam, R"("args":{"cni":{"ips":["10.1.0.5","x"]}})"),
               "args.cni.ips[1]: invalid IP address 'x'");
  expect_error(netconf(ipam, R"("args":{"cni":{"ips":"10.1.0.5"}})"),
               "args.cni.ips: want a list of IP addresses, got string");
  expect_error(netconf(ipam, R"("args":{"cni":[]})"), "args.cni: want an object, got array");
  expect_error(netconf(ipam, R"("runtimeConfig":{"ips":[5]})"),
               "runtimeConfig.ips[0]: want a string, got number");
  expect_error(netconf(ipam, R"("runtimeConfig":{"ips":["10.9.0.1"]})"),
               "runtimeConfig.ips[0]: requested address 10.9.0.1 is in no range (10.1.0.0/24; "
               "fd00::/64)");
  expect_error(netconf(ipam, R"("args":{"cni":{"ips":["10.1.0.1"]}})"),
               "args.cni.ips[0]: requested address 10.1.0.1 is the gateway of ipam.ranges[0][0]");
  expect_error(
      netconf(
          R"({"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.0","rangeEnd":"10.1.0.255"}]]})",
          R"("args":{"cni":{"ips":["10.1.0.255"]}})"),
      "args.cni.ips[0]: requested address 10.1.0.255 is the broadcast address of "
      "10.1.0.0/24");
  expect_error(netconf(R"({"ranges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.0"}]]})",
                       R"("args":{"cni":{"ips":["10.1.0.0"]}})"),
               "args.cni.ips[0]: requested address 10.1.0.0 is the network address of "
               "10.1.0.0/24");
  expect_error(netconf(ipam, R"("args":{"cni":{"ips":["10.1.0.7"]}})"),
               "args.cni.ips[0]: requested address 10.1.0.7 is a second address for range set 0 "
               "(ipam.ranges[0]), which already gets 10.1.0.5 from CNI_ARGS IP",
               cni::Code::invalid_config, {{"IP", "10.1.0.5"}});
}

}  // namespace
}  // namespace podnet::ipam::testing
