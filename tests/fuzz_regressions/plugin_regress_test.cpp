// Fuzzer findings in the podnet plugin's configuration and plan (fuzz/fuzz_netconf.cpp).
#include <gtest/gtest.h>

#include "podnet/cni/netconf.hpp"
#include "podnet/plugin/conf.hpp"
#include "podnet/plugin/plan.hpp"

using namespace podnet;
using namespace podnet::cni;
using nlohmann::json;

namespace {
Env add_env() {
  Env e;
  e.command = Command::add;
  e.container_id = "0a1b2c3d4e5f";
  e.netns = "/var/run/netns/fuzz";
  e.ifname = "eth0";
  e.path = "/opt/cni/bin";
  return e;
}
plugin::PluginConf conf_of(const NetConf& net) {
  auto c = plugin::parse_conf(net, add_env());
  EXPECT_TRUE(c) << c.error().msg;
  return *c;
}
}  // namespace

// fuzz_netconf-crash-6bef8225: an IPAM result/prevResult IPv6 address with an IPv4 gateway
// (the duplicate "gateway" key: the last one wins) went into the plan: a bridge address
// "10.22.0.1/64" (an IPv4 prefix longer than 32 bits) and a v4 gateway for a v6 address.
TEST(FuzzRegressPlan, GatewayOfAnotherFamilyIsRejected) {
  auto net = parse_netconf(R"({"cniVersion": "1.0.0", "name": "podnet", "type": "podnet", "bridge": "podnet0", "isGateway": false, "ipMasq": true, "mtu": 1450, "ipam": {"type": "podnet-ipam", "ranges": [[{"subnet": "10.22.0.0/16", "gateway": "10.22.0.1"}]], "routes": [{"dst": "0.0.0.0/0"}]}, "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "mac": "0a:58:0a:16:00:05", "sandbox": "/var/run/netns/x"}], "ips": [{"interface": 0, "address": "10.22.0.5/ns/x"}], "ips": [{"interface": 0, "address": "10.22.0.5/16", "gateway": "10.22.0.1"}, {"interface": 0, "address": "fd00:22::5/64", "gateway": "fd00:22::16", "gateway": "10.22.0.1"}, {"interface": 0, "address": "fd00:22::5/64", "gateway": "fd00:22::1"}], "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0", "gw": "fd00:22::1"}], "dns": {}}})");
  ASSERT_TRUE(net) << net.error().msg;
  ASSERT_TRUE(net->prev_result);
  auto conf = conf_of(*net);
  auto plan = plugin::make_plan(conf, *net->prev_result, "0a1b2c3d4e5f", "eth0");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, Code::invalid_config);
  EXPECT_NE(plan.error().msg.find("10.22.0.1"), std::string::npos) << plan.error().msg;

  // Same in bridge mode with a gateway on the bridge.
  conf.is_gateway = true;
  EXPECT_FALSE(plugin::make_plan(conf, *net->prev_result, "0a1b2c3d4e5f", "eth0"));
}

// fuzz_netconf-crash-7ba674fb: a prevResult without interfaces may carry "interface": 5
// (the decoder allows dangling indexes only then). ADD appended its own interfaces and kept
// the index, so its result named no interface and failed to decode as the next prevResult
// (DEL and CHECK would then fail for good).
TEST(FuzzRegressPlan, DanglingInterfaceIndexOfPrevResultIsDropped) {
  auto net = parse_netconf(R"({"cniVersion": "1.0.0", "name": "podnet", "type": "podnet", "bridge": "podnet0", "isGateway": false, "ipMasq": true, "mtu": 1450, "ipam": {"type": "podnet-ipam", "ranges": [[{"subnet": "10.22.0.0/16", "gateway": "10.22.0.1"}]], "routes": [{"dst": "0.0.0.0/0"}]}, "prevResult": {"cniVersion": "1.0.0", "interface~": [{"name": "eTh0", "mac": "0a:5x:0a:16:00:05", "sandbox": "/var/ru:/netns/x"}], "ips": [{"interface": 5, "address": "10.22.0.5/16", "gateway": "10.22.0.1"}, {"interface": 0, "address": "fd00:22::5/64", "gateway": "fd01:22::1"}], "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0", "gw": "fd00:22::1"}], "dns": {}}})");
  ASSERT_TRUE(net) << net.error().msg;
  ASSERT_TRUE(net->prev_result);
  auto conf = conf_of(*net);
  auto plan = plugin::make_plan(conf, *net->prev_result, "0a1b2c3d4e5f", "eth0");
  ASSERT_TRUE(plan) << plan.error().msg;
  plugin::LinkFacts links{"0a:58:0a:16:00:01", "0a:58:0a:16:00:02", "0a:58:0a:16:00:03",
                          "/var/run/netns/fuzz"};
  auto result = plugin::make_result(conf, *plan, *net->prev_result, links, net->prev_result);
  json out = to_json(result, net->cni_version);
  auto back = result_from_json(json::parse(out.dump()));
  ASSERT_TRUE(back) << back.error().msg << "\n" << out.dump();
  for (const auto& ip : back->ips) {
    if (ip.interface) {
      EXPECT_LT(static_cast<size_t>(*ip.interface), back->interfaces.size());
    }
  }
  // podnet's own addresses still name the pod interface.
  EXPECT_EQ(back->ips.back().interface, static_cast<int>(back->interfaces.size()) - 1);
}

// fuzz_netconf-crash-6e0c6b34: "bridge": "podnet0\u0000" passed validation (the kernel
// would create "podnet0"). Found by review next to it: ipam.type and logFile with a NUL.
TEST(FuzzRegressConf, NulInNamesAndPathsIsRejected) {
  auto net = parse_netconf(R"({"cniVersion": "1.1.0", "name": "podnet", "type": "podnet", "bridge": "podnet0\u0000", "isGateway": true, "ipMasq": true, "mtu": 1450, "ipam": {"type": "podnet-ipam", "ranges": [[{"subnet": "10.22.0.0/16", "gateway": "10.22.0.1"}]], "routes": [{"dst": "0.0.0.0/0"}]}, "prevResult": {"cniVersion": "1.1.0", "interfaces": [{"namAe": "eth0", "mac": "0a:58:0a:16:00:05", "mtu": 1450, "sandbox": "/var/run/netns/x", "socketPath": "/run/vhost.sock", "pciID": "0000:00:1f.6"}], "ips": [{"interface": 0, "address": "10.22.0.5/16", "gateway": "10.22.0.1"}], "routes": [{"dst": "10.0.0.0/8", "gw": "10.22.0.1", "mtu": 6123, "advmss": 1360, "priority": 100, "table": 254, "scope": 0}], "dns": {"nameservers": ["10.22.0.1"]}}, "runtimeConfig": {"mac": "0a:58:0a:16:00:09"}, "args": {"cni": {"ma%": "0a:58:0a:16:00:0a"}}, "logLevel": "debug", "logFile": "/tmp/podnet.log"})");
  ASSERT_TRUE(net) << net.error().msg;
  auto c = plugin::parse_conf(*net, add_env());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Code::invalid_config);
  EXPECT_NE(c.error().msg.find("bridge"), std::string::npos) << c.error().msg;

  auto with = [](std::string_view extra) {
    return parse_netconf(std::string(R"({"cniVersion":"1.0.0","name":"n","type":"podnet",)") +
                         std::string(extra) + "}");
  };
  auto ipam_type = with(R"("ipam":{"type":"host-local\u0000x"})");
  ASSERT_TRUE(ipam_type);
  EXPECT_FALSE(plugin::parse_conf(*ipam_type, add_env()));
  auto log_file = with(R"("ipam":{"type":"podnet-ipam"},"logFile":"/tmp/a\u0000b")");
  ASSERT_TRUE(log_file);
  EXPECT_FALSE(plugin::parse_conf(*log_file, add_env()));
  auto fine = with(R"("ipam":{"type":"podnet-ipam"},"logFile":"/tmp/a")");
  ASSERT_TRUE(fine);
  EXPECT_TRUE(plugin::parse_conf(*fine, add_env()));
}
