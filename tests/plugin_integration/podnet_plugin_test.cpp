// The podnet plugin end to end in real namespaces: a "node" netns where the plugin runs,
// pod netns per container, real IPAM plugins.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <thread>

#include "plugin_env.hpp"

using nlohmann::json;
using podnet::testing::PluginEnv;
using podnet::testing::ProcResult;

namespace {

#define REQUIRE_ROOT() \
  if (!podnet::testing::have_root()) GTEST_SKIP() << "needs root: creates network namespaces"

std::string pod_ip(const json& result) {
  auto a = result["ips"][0]["address"].get<std::string>();
  return a.substr(0, a.find('/'));
}

class PodnetPlugin : public ::testing::TestWithParam<std::string> {};

}  // namespace

// ADD, CHECK, DEL round trip with each IPAM plugin, pods reach each other and the gateway.
TEST_P(PodnetPlugin, AddCheckDelRoundTrip) {
  REQUIRE_ROOT();
  PluginEnv env("rt");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  // The reference host-local (1.1.1) speaks up to 1.0.0.
  std::string version = GetParam() == "host-local" ? "1.0.0" : "1.1.0";
  auto conf = env.podnet_conf(version, GetParam());

  auto r1 = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto res1 = r1.json();
  EXPECT_EQ(res1["cniVersion"], version);
  ASSERT_EQ(res1["interfaces"].size(), 3u) << res1;
  EXPECT_EQ(res1["interfaces"][0]["name"], "pnbr0");
  EXPECT_EQ(res1["interfaces"][2]["name"], "eth0");
  EXPECT_EQ(res1["interfaces"][2]["sandbox"], p1.path());
  EXPECT_EQ(res1["ips"][0]["interface"], 2);
  EXPECT_EQ(res1["ips"][0]["address"], "10.77.0.2/24");
  EXPECT_EQ(res1["ips"][0]["gateway"], "10.77.0.1");
  EXPECT_EQ(res1["routes"][0]["dst"], "0.0.0.0/0");

  auto r2 = env.run("podnet", "ADD", "c2", p2.path(), conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_EQ(pod_ip(r2.json()), "10.77.0.3");

  EXPECT_EQ(p1.sh("ping -c1 -W2 10.77.0.1 >/dev/null"), 0) << "pod -> gateway";
  // IPv4-only pods on a bridge: no IPv6 link-local on the pod or on the bridge port (nothing
  // for the bridge to flood to every pod).
  std::string v6;
  p1.sh("ip -6 addr show dev eth0", &v6);
  EXPECT_EQ(v6.find("fe80"), std::string::npos) << v6;
  for (const auto& h : env.host_veths()) {
    env.node().sh("ip -6 addr show dev " + h, &v6);
    EXPECT_EQ(v6.find("fe80"), std::string::npos) << h << ": " << v6;
  }
  EXPECT_EQ(p1.sh("ping -c1 -W2 10.77.0.3 >/dev/null"), 0) << "pod -> pod";
  EXPECT_EQ(env.node().sh("ping -c1 -W2 10.77.0.2 >/dev/null"), 0) << "node -> pod";

  auto check_conf = conf;
  check_conf["prevResult"] = res1;
  auto c = env.run("podnet", "CHECK", "c1", p1.path(), check_conf);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(c.out, "");

  auto d = env.run("podnet", "DEL", "c1", p1.path(), check_conf);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(env.allocated_ips(), std::vector<std::string>{"10.77.0.3"});
  EXPECT_EQ(env.host_veths().size(), 1u);
  EXPECT_NE(p1.sh("ip link show eth0 >/dev/null"), 0) << "pod eth0 removed";
  // The retired pair is deleted in the background: gone within moments, in both namespaces.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string links, pod_links;
    env.node().sh("ip -o link show", &links);
    p1.sh("ip -o link show", &pod_links);
    gone = links.find(": pnx") == std::string::npos && pod_links.find(": pnx") == std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "retired veth pair still present";
  d = env.run("podnet", "DEL", "c1", p1.path(), check_conf);
  EXPECT_EQ(d.exit_code, 0) << "DEL twice: " << d.out << d.err;
}

INSTANTIATE_TEST_SUITE_P(Ipam, PodnetPlugin, ::testing::Values("podnet-ipam", "host-local"));

TEST(PodnetPluginResult, AnswersInEachVersion) {
  REQUIRE_ROOT();
  PluginEnv env("ver");
  int i = 0;
  for (std::string v : {"0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    auto& p = env.add_pod("v" + std::to_string(i));
    auto r = env.run("podnet", "ADD", "cv" + std::to_string(i++), p.path(), env.podnet_conf(v));
    ASSERT_EQ(r.exit_code, 0) << v << r.out << r.err;
    auto j = r.json();
    EXPECT_EQ(j["cniVersion"], v);
    EXPECT_EQ(j["ips"][0].contains("version"), v < "1.0.0") << v;
    EXPECT_EQ(j["interfaces"][2].contains("mtu"), v == "1.1.0") << v;
  }
  auto ver = env.run("podnet", "VERSION", "", "", json::object());
  EXPECT_EQ(ver.exit_code, 0);
  EXPECT_EQ(ver.json()["supportedVersions"].size(), 5u);
}

TEST(PodnetPluginPtp, RoutedPodsReachEachOther) {
  REQUIRE_ROOT();
  PluginEnv env("ptp");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  auto conf = env.podnet_conf("1.0.0", "podnet-ipam", "10.78.0.0/24", {{"mode", "ptp"}});
  auto r1 = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto r2 = env.run("podnet", "ADD", "c2", p2.path(), conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_EQ(r1.json()["interfaces"].size(), 2u);
  EXPECT_EQ(r1.json()["ips"][0]["interface"], 1);
  std::string out;
  p1.sh("ip route", &out);
  EXPECT_NE(out.find("default via 10.78.0.1"), std::string::npos) << out;
  EXPECT_EQ(out.find("10.78.0.0/24 dev"), std::string::npos) << "no on-link subnet route: " << out;
  EXPECT_EQ(p1.sh("ping -c1 -W2 10.78.0.3 >/dev/null"), 0) << "pod -> pod via host";
  EXPECT_EQ(env.node().sh("ping -c1 -W2 10.78.0.2 >/dev/null"), 0);
  auto check_conf = conf;
  check_conf["prevResult"] = r1.json();
  auto c = env.run("podnet", "CHECK", "c1", p1.path(), check_conf);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(env.run("podnet", "DEL", "c1", p1.path(), check_conf).exit_code, 0);
  EXPECT_EQ(env.run("podnet", "DEL", "c2", p2.path(), conf).exit_code, 0);
  EXPECT_TRUE(env.host_veths().empty());
  env.node().sh("ip route", &out);
  EXPECT_EQ(out.find("10.78.0.2"), std::string::npos) << out;
}

// Dual stack in both modes: pods reach each other and their gateways over IPv4 and IPv6. On a
// bridge, pods with an IPv6 address keep their link-local; bridge ports have none.
class PodnetPluginDualStack : public ::testing::TestWithParam<std::string> {};

TEST_P(PodnetPluginDualStack, PodsTalkOverBothFamilies) {
  REQUIRE_ROOT();
  const bool ptp = GetParam() == "ptp";
  PluginEnv env(ptp ? "ds6p" : "ds6b");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.81.0.0/24",
                              ptp ? json{{"mode", "ptp"}} : json::object());
  conf["ipam"]["ranges"] = json::array({json::array({{{"subnet", "10.81.0.0/24"}}}),
                                        json::array({{{"subnet", "fd00:81::/64"}}})});
  auto r1 = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto r2 = env.run("podnet", "ADD", "c2", p2.path(), conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  auto res2 = r2.json();
  ASSERT_EQ(res2["ips"].size(), 2u) << res2;
  auto v6_of = [](const json& res) {
    auto a = res["ips"][1]["address"].get<std::string>();
    return a.substr(0, a.find('/'));
  };
  EXPECT_EQ(v6_of(res2), "fd00:81::3");
  EXPECT_EQ(p1.sh("ping -c1 -W2 10.81.0.3 >/dev/null"), 0) << "IPv4 pod -> pod";
  // A fresh IPv6 address may still be tentative (DAD) for a moment.
  bool v6_ok = false;
  for (int i = 0; i < 10 && !v6_ok; ++i) v6_ok = p1.sh("ping -6 -c1 -W1 fd00:81::3 >/dev/null") == 0;
  EXPECT_TRUE(v6_ok) << "IPv6 pod -> pod";
  EXPECT_EQ(p1.sh("ping -6 -c1 -W2 fd00:81::1 >/dev/null"), 0) << "IPv6 pod -> gateway";
  std::string v6;
  p1.sh("ip -6 addr show dev eth0", &v6);
  EXPECT_NE(v6.find("fe80"), std::string::npos) << "an IPv6 pod keeps its link-local: " << v6;
  if (!ptp)
    for (const auto& h : env.host_veths()) {
      env.node().sh("ip -6 addr show dev " + h, &v6);
      EXPECT_EQ(v6.find("fe80"), std::string::npos) << h << ": " << v6;
    }
  EXPECT_EQ(env.run("podnet", "DEL", "c1", p1.path(), conf).exit_code, 0);
  EXPECT_EQ(env.run("podnet", "DEL", "c2", p2.path(), conf).exit_code, 0);
  EXPECT_TRUE(env.allocated_ips().empty());
}

INSTANTIATE_TEST_SUITE_P(Modes, PodnetPluginDualStack, ::testing::Values("bridge", "ptp"));

// gsoMaxSize (BIG TCP): both ends of the pair carry it; pods still talk (TCP across the host).
TEST(PodnetPluginPtp, GsoMaxSizeOnBothEnds) {
  REQUIRE_ROOT();
  PluginEnv env("gso");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.79.0.0/24",
                              {{"mode", "ptp"}, {"gsoMaxSize", 262144}});
  auto r1 = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto r2 = env.run("podnet", "ADD", "c2", p2.path(), conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  auto gso_of = [](podnet::testing::ScopedNetns& ns, const std::string& dev) {
    std::string out;
    ns.sh("ip -d -j link show " + dev, &out);
    auto j = json::parse(out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0].value("gso_max_size", 0) : -1;
  };
  EXPECT_EQ(gso_of(p1, "eth0"), 262144);
  auto host = env.host_veths();
  ASSERT_EQ(host.size(), 2u);
  for (const auto& h : host) EXPECT_EQ(gso_of(env.node(), h), 262144) << h;
  // A TCP exchange through the host with the large segments allowed.
  ASSERT_EQ(p2.sh("iperf3 -s -1 -D -p 7001"), 0);
  std::string out;
  bool sent = false;
  for (int i = 0; i < 20 && !sent; ++i) {  // until the server listens
    sent = p1.sh("timeout 10 iperf3 -c 10.79.0.3 -p 7001 -n 16M", &out) == 0;
    if (!sent) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(sent) << out;
  EXPECT_EQ(p1.sh("ping -c1 -W2 10.79.0.3 >/dev/null"), 0);
  EXPECT_EQ(env.run("podnet", "DEL", "c1", p1.path(), conf).exit_code, 0);
  EXPECT_EQ(env.run("podnet", "DEL", "c2", p2.path(), conf).exit_code, 0);
}

TEST(PodnetPluginDel, NetnsGoneStillReleasesTheAddress) {
  REQUIRE_ROOT();
  PluginEnv env("gone");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipMasq", true}});
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(env.allocated_ips().size(), 1u);
  std::string path = p1.path();
  p1.remove();
  // No prevResult and an empty netns: the worst case a runtime can send.
  auto d = env.run("podnet", "DEL", "c1", "", conf);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_TRUE(env.allocated_ips().empty());
  EXPECT_TRUE(env.host_veths().empty());
  std::string nft;
  env.node().sh("nft list table inet podnet-cni", &nft);
  EXPECT_EQ(nft.find("10.77.0.2"), std::string::npos) << nft;
  d = env.run("podnet", "DEL", "c1", path, conf);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
}

// This build's podnet-ipam runs in-process (same store and lock); any other binary named
// podnet-ipam in CNI_PATH is exec'd, and both share the allocations on disk.
TEST(PodnetPluginIpam, OwnBuildInProcessOthersExeced) {
  REQUIRE_ROOT();
  PluginEnv env("ipc");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  std::string log = env.dir() + "/podnet.log";
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24",
                              {{"logLevel", "debug"}, {"logFile", log}});
  auto read = [](const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(read(log).find("ipam-thread="), std::string::npos) << read(log);

  // A wrapper in place of podnet-ipam: it must be called, for ADD and DEL.
  std::string bin = env.cni_path() + "/podnet-ipam";
  std::string calls = env.dir() + "/wrapper.calls";
  std::filesystem::remove(bin);
  {
    std::ofstream w(bin);
    w << "#!/bin/sh\necho \"$CNI_COMMAND\" >> " << calls << "\nexec "
      << podnet::testing::build_path("apps/podnet-ipam/podnet-ipam") << " \"$@\"\n";
  }
  std::filesystem::permissions(bin, std::filesystem::perms::owner_all);
  std::filesystem::remove(log);
  r = env.run("podnet", "ADD", "c2", p2.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(pod_ip(r.json()), "10.77.0.3") << "the exec'd plugin sees the in-process allocation";
  EXPECT_NE(read(log).find("ipam-spawn="), std::string::npos) << read(log);
  auto d = env.run("podnet", "DEL", "c2", p2.path(), conf);
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_EQ(read(calls), "ADD\nDEL\n");
  EXPECT_EQ(env.allocated_ips(), std::vector<std::string>{"10.77.0.2"});
}

// A network whose lock another process holds too long: code 11 (try again later) instead of
// hanging the runtime, from podnet (in-process IPAM, ADD rolled back) and from podnet-ipam.
TEST(PodnetPluginIpam, LockHeldTooLongIsTryAgainLater) {
  REQUIRE_ROOT();
  PluginEnv env("lck");
  auto& p1 = env.add_pod("p1");
  auto conf =
      env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipam", {{"lockTimeoutMs", 300}}}});
  std::filesystem::create_directories(env.data_dir() + "/podnet-test");
  int fd =
      ::open((env.data_dir() + "/podnet-test/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_EQ(r.json()["code"], 11) << r.out << r.err;
  EXPECT_NE(r.json()["msg"].get<std::string>().find("lock"), std::string::npos) << r.out;
  EXPECT_TRUE(env.host_veths().empty()) << "ADD rolled back";
  auto d = env.run("podnet-ipam", "DEL", "c1", p1.path(), conf);
  EXPECT_EQ(d.json()["code"], 11) << d.out << d.err;
  ::close(fd);
  r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// DEL returns before the kernel has unregistered the pair; the detached deleter must still
// remove both ends, leaving no retired ("pnx") link behind.
TEST(PodnetPluginDel, RetiredPairIsDeletedInTheBackground) {
  REQUIRE_ROOT();
  PluginEnv env("bgd");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf();
  for (int i = 0; i < 5; ++i) {
    std::string cid = "c" + std::to_string(i);
    auto r = env.run("podnet", "ADD", cid, p1.path(), conf);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto d = env.run("podnet", "DEL", cid, p1.path(), conf);
    ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  }
  std::string node_links, pod_links;
  for (int i = 0; i < 100; ++i) {  // the deleters need at most tens of ms each
    env.node().sh("ip -o link show", &node_links);
    p1.sh("ip -o link show", &pod_links);
    if (node_links.find("pnx") == std::string::npos && pod_links.find("pnx") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(node_links.find("pnx"), std::string::npos) << node_links;
  EXPECT_EQ(pod_links.find("pnx"), std::string::npos) << pod_links;
  EXPECT_EQ(pod_links.find("eth0"), std::string::npos) << pod_links;
  EXPECT_TRUE(env.host_veths().empty());
  EXPECT_TRUE(env.allocated_ips().empty());
}

TEST(PodnetPluginRollback, FailedIpamLeavesNothing) {
  REQUIRE_ROOT();
  PluginEnv env("rbk");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf();
  conf["ipam"]["ranges"] = json::parse(R"([[{"subnet":"10.77.0.0/30"}]])");  // one address
  auto ok = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  auto& p2 = env.add_pod("p2");
  auto r = env.run("podnet", "ADD", "c2", p2.path(), conf);
  EXPECT_NE(r.exit_code, 0);
  auto e = r.json();
  EXPECT_TRUE(e.contains("code")) << r.out;
  EXPECT_NE(e["msg"].get<std::string>().find("IPAM"), std::string::npos) << r.out;
  EXPECT_EQ(env.host_veths().size(), 1u) << "only c1's veth";
  EXPECT_NE(p2.sh("ip link show eth0 >/dev/null"), 0);

  conf["ipam"]["type"] = "no-such-ipam";
  r = env.run("podnet", "ADD", "c3", p2.path(), conf);
  EXPECT_EQ(r.json()["code"], 7) << r.out;
  EXPECT_NE(r.json()["msg"].get<std::string>().find("no-such-ipam"), std::string::npos);
}

TEST(PodnetPluginRollback, FailureAfterIpamReleasesTheAddress) {
  REQUIRE_ROOT();
  PluginEnv env("rb2");
  auto& p1 = env.add_pod("p1");
  // The pod already has an eth0: creating the pair fails after IPAM allocated.
  ASSERT_EQ(p1.sh("ip link add eth0 type veth peer name eth0peer"), 0);
  auto r = env.run("podnet", "ADD", "c1", p1.path(), env.podnet_conf());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.json()["msg"].get<std::string>().find("exists"), std::string::npos) << r.out;
  EXPECT_TRUE(env.allocated_ips().empty()) << "IP released on rollback";
  EXPECT_TRUE(env.host_veths().empty());
}

TEST(PodnetPluginErrors, BadInputGetsSpecErrors) {
  REQUIRE_ROOT();
  PluginEnv env("err");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf();
  conf["mtu"] = "big";
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.json()["code"], 7);
  EXPECT_NE(r.json()["msg"].get<std::string>().find("mtu"), std::string::npos);
  conf = env.podnet_conf();
  conf["mode"] = "tunnel";
  EXPECT_NE(
      env.run("podnet", "ADD", "c1", p1.path(), conf).json()["msg"].get<std::string>().find("mode"),
      std::string::npos);
  conf = env.podnet_conf();
  conf["vlan"] = 5;
  EXPECT_EQ(env.run("podnet", "ADD", "c1", p1.path(), conf).json()["code"], 2);
  r = env.run("podnet", "ADD", "c1", "/nonexistent/netns", env.podnet_conf());
  EXPECT_EQ(r.json()["code"], 4) << r.out;
  EXPECT_NE(r.json()["msg"].get<std::string>().find("CNI_NETNS"), std::string::npos);
  r = env.run("podnet", "ADD", "c1", p1.path(), env.podnet_conf(), "eth0",
              {{"CNI_ARGS", "FOO=bar"}});
  EXPECT_EQ(r.json()["code"], 4) << r.out;
  EXPECT_TRUE(env.allocated_ips().empty());
  EXPECT_TRUE(env.host_veths().empty());
}

TEST(PodnetPluginCheck, ReportsDrift) {
  REQUIRE_ROOT();
  PluginEnv env("chk");
  auto& p1 = env.add_pod("p1");
  auto conf = env.podnet_conf();
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  conf["prevResult"] = r.json();
  ASSERT_EQ(p1.sh("ip route del default"), 0);
  auto c = env.run("podnet", "CHECK", "c1", p1.path(), conf);
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.json()["msg"].get<std::string>().find("route 0.0.0.0/0"), std::string::npos) << c.out;
  ASSERT_EQ(p1.sh("ip addr flush dev eth0"), 0);
  c = env.run("podnet", "CHECK", "c1", p1.path(), conf);
  EXPECT_NE(c.json()["msg"].get<std::string>().find("10.77.0.2/24"), std::string::npos) << c.out;
}

TEST(PodnetPluginMasq, EgressLeavesWithTheNodeAddress) {
  REQUIRE_ROOT();
  PluginEnv env("msq");
  auto& p1 = env.add_pod("p1");
  auto& ext = env.add_pod("ext");
  // The node's uplink to an "outside" host on TEST-NET-3.
  ASSERT_EQ(podnet::testing::sh("ip link add " + env.prefix() + "up netns " + env.node().name() +
                                " type veth peer name uplink netns " + ext.name()),
            0);
  env.node().sh("ip addr add 203.0.113.1/24 dev " + env.prefix() + "up; ip link set " +
                env.prefix() + "up up");
  ext.sh("ip addr add 203.0.113.9/24 dev uplink; ip link set uplink up");
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipMasq", true}});
  auto r = env.run("podnet", "ADD", "c1", p1.path(), conf);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string nft;
  env.node().sh("nft list table inet podnet-cni", &nft);
  EXPECT_NE(nft.find("10.77.0.2 comment"), std::string::npos) << nft;
  EXPECT_EQ(nft.find("jump"), std::string::npos) << "no chain per pod";

  podnet::testing::TcpPeerProbe probe(ext.path(), "203.0.113.9", 8080);
  std::thread client([&] {
    p1.sh(
        "timeout 3 sh -c \"echo | nc -w1 203.0.113.9 8080\" || timeout 3 bash -c \"echo > "
        "/dev/tcp/203.0.113.9/8080\"");
  });
  EXPECT_EQ(probe.wait_peer(), "203.0.113.1") << "masqueraded to the node address";
  client.join();

  conf["prevResult"] = r.json();
  EXPECT_EQ(env.run("podnet", "CHECK", "c1", p1.path(), conf).exit_code, 0);
  EXPECT_EQ(env.run("podnet", "DEL", "c1", p1.path(), conf).exit_code, 0);
  env.node().sh("nft list table inet podnet-cni", &nft);
  EXPECT_EQ(nft.find("10.77.0.2"), std::string::npos) << nft;
}

TEST(PodnetPluginConcurrency, ManyParallelAddsGetDistinctAddresses) {
  REQUIRE_ROOT();
  PluginEnv env("par");
  constexpr int kPods = 64;
  std::vector<std::string> ns;
  for (int i = 0; i < kPods; ++i) ns.push_back(env.add_pod("c" + std::to_string(i)).path());
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipMasq", true}});
  std::vector<ProcResult> results(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i)
    threads.emplace_back(
        [&, i] { results[i] = env.run("podnet", "ADD", "par" + std::to_string(i), ns[i], conf); });
  for (auto& t : threads) t.join();
  std::set<std::string> ips;
  for (auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ips.insert(pod_ip(r.json()));
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(env.allocated_ips().size(), static_cast<size_t>(kPods));
  EXPECT_EQ(env.host_veths().size(), static_cast<size_t>(kPods));
}

TEST(PodnetPluginGc, KillDuringBurstThenGcLeavesOnlyValid) {
  REQUIRE_ROOT();
  PluginEnv env("gc");
  constexpr int kPods = 24;
  std::vector<std::string> ns;
  for (int i = 0; i < kPods; ++i) ns.push_back(env.add_pod("k" + std::to_string(i)).path());
  auto conf = env.podnet_conf("1.1.0", "podnet-ipam", "10.77.0.0/24", {{"ipMasq", true}});
  std::vector<int> pids;
  for (int i = 0; i < kPods; ++i) {
    pids.push_back(podnet::testing::spawn_in_netns(env.node().path(), env.cni_path() + "/podnet",
                                                   {{"CNI_COMMAND", "ADD"},
                                                    {"CNI_CONTAINERID", "k" + std::to_string(i)},
                                                    {"CNI_NETNS", ns[i]},
                                                    {"CNI_IFNAME", "eth0"},
                                                    {"CNI_PATH", env.cni_path()}},
                                                   conf.dump()));
    if (i % 3 == 1) kill(pids.back(), SIGKILL);  // mid-flight, wherever it is
  }
  for (int p : pids) waitpid(p, nullptr, 0);
  // The runtime considers the even-numbered ones valid.
  json gc = conf;
  gc["cni.dev/valid-attachments"] = json::array();
  for (int i = 0; i < kPods; i += 2)
    gc["cni.dev/valid-attachments"].push_back(
        {{"containerID", "k" + std::to_string(i)}, {"ifname", "eth0"}});
  auto r = env.run("podnet", "GC", "", "", gc);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ips = env.allocated_ips();
  std::set<std::string> unique(ips.begin(), ips.end());
  EXPECT_EQ(unique.size(), ips.size());
  EXPECT_LE(ips.size(), static_cast<size_t>(kPods / 2));
  for (const auto& ip : ips) {
    std::ifstream f(env.data_dir() + "/podnet-test/" + ip);
    std::string owner;
    std::getline(f, owner);
    if (!owner.empty() && owner.back() == '\r') owner.pop_back();
    int n = std::stoi(owner.substr(1));
    EXPECT_EQ(n % 2, 0) << ip << " owned by invalid " << owner;
  }
  std::string nft;
  env.node().sh("nft list set inet podnet-cni masq-v4", &nft);
  for (int i = 1; i < kPods; i += 2)
    EXPECT_EQ(nft.find("/k" + std::to_string(i) + "/"), std::string::npos) << nft;
}

// The other interop mix: the reference bridge plugin delegating to podnet-ipam.
TEST(ReferenceBridgeWithPodnetIpam, AddDelRoundTrip) {
  REQUIRE_ROOT();
  PluginEnv env("rbi");
  auto& p1 = env.add_pod("p1");
  auto& p2 = env.add_pod("p2");
  auto conf = env.podnet_conf("1.0.0", "podnet-ipam", "10.79.0.0/24",
                              {{"type", "bridge"}, {"isGateway", true}, {"ipMasq", true}});
  auto r1 = env.run("bridge", "ADD", "b1", p1.path(), conf);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  auto r2 = env.run("bridge", "ADD", "b2", p2.path(), conf);
  ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_EQ(pod_ip(r1.json()), "10.79.0.2");
  EXPECT_EQ(pod_ip(r2.json()), "10.79.0.3");
  EXPECT_EQ(env.allocated_ips(), (std::vector<std::string>{"10.79.0.2", "10.79.0.3"}));
  EXPECT_EQ(p1.sh("ping -c1 -W2 10.79.0.3 >/dev/null"), 0);
  auto check_conf = conf;
  check_conf["prevResult"] = r1.json();
  auto c = env.run("bridge", "CHECK", "b1", p1.path(), check_conf);
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(env.run("bridge", "DEL", "b1", p1.path(), check_conf).exit_code, 0);
  EXPECT_EQ(env.allocated_ips(), std::vector<std::string>{"10.79.0.3"});
  EXPECT_EQ(env.run("bridge", "DEL", "b2", p2.path(), conf).exit_code, 0);
  EXPECT_TRUE(env.allocated_ips().empty());
}
