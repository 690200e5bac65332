// Hostile input the runtimes pass through from users (issue 9): nesting, names, env bytes,
// prefix spellings, misbehaving delegated plugins.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>

#include "podnet/cni/env.hpp"
#include "podnet/cni/exec.hpp"
#include "podnet/cni/netconf.hpp"
#include "podnet/cni/skel.hpp"
#include "podnet/net/ip.hpp"

using namespace podnet::cni;
using nlohmann::json;

namespace {

Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const char* k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
std::map<std::string, std::string> add_env() {
  return {{"CNI_COMMAND", "ADD"},
          {"CNI_CONTAINERID", "abc"},
          {"CNI_NETNS", "/var/run/netns/x"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"}};
}

std::string deep(size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

std::string conf_with(const std::string& key, const std::string& value) {
  return R"({"cniVersion":"1.1.0","name":"n","type":"podnet",")" + key + "\":" + value + "}";
}

}  // namespace

TEST(HostileJson, DeepNestingIsDecodeFailureNotACrash) {
  for (size_t levels : {100u, 100000u, 300000u, 1000000u}) {
    for (const char* key : {"ipam", "args", "runtimeConfig", "other"}) {
      std::string v = std::string("{\"x\":") + deep(levels) + "}";
      auto c = parse_netconf(conf_with(key, v));
      ASSERT_FALSE(c) << key << " " << levels;
      EXPECT_EQ(c.error().code, Code::decode_failure);
      EXPECT_NE(c.error().msg.find("nesting deeper than 64 levels"), std::string::npos)
          << c.error().msg;
    }
  }
  // Unclosed brackets are refused the same way.
  EXPECT_EQ(parse_netconf(std::string(300000, '{')).error().code, Code::decode_failure);
  EXPECT_EQ(sniff_version(conf_with("ipam", deep(100000))), "1.1.0") << "falls back to the latest";
}

TEST(HostileJson, DispatchAnswersCode6) {
  PluginFuncs f;
  bool called = false;
  f.add = [&](const CmdArgs&) -> CmdResult {
    called = true;
    return json();
  };
  auto o = dispatch(f, env_of(add_env()), conf_with("runtimeConfig", deep(300000)));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_FALSE(called);
  auto j = json::parse(o.stdout_text);
  EXPECT_EQ(j["code"], 6);
  EXPECT_NE(j["msg"].get<std::string>().find("nesting"), std::string::npos);
}

TEST(HostileJson, OrdinaryNestingStillParses) {
  auto c = parse_netconf(conf_with("args", R"({"cni":{"ips":["10.0.0.2"],"x":[[[[1]]]]}})"));
  ASSERT_TRUE(c) << c.error().msg;
}

TEST(NetworkName, LibcniRule) {
  for (const char* ok : {"n", "podnet", "k8s-pod-network", "a.b_c-d", "0net", "N1"})
    EXPECT_FALSE(network_name_problem(ok)) << ok;
  for (std::string bad :
       {std::string("."), std::string(".."), std::string("..."), std::string(".podnet"),
        std::string("-n"), std::string("_n"), std::string("a/b"), std::string("a b"),
        std::string("a\nb"), std::string("a\tb"), std::string("a\x01"), std::string("a\0b", 3),
        std::string("caf\xc3\xa9"), std::string("a\xff"), std::string(256, 'a')})
    EXPECT_TRUE(network_name_problem(bad)) << bad;
  auto c = parse_netconf(R"({"cniVersion":"1.0.0","name":"a\nb","type":"t"})");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Code::invalid_config);
  EXPECT_NE(c.error().msg.find("name"), std::string::npos);
  EXPECT_EQ(parse_netconf(R"({"cniVersion":"1.0.0","name":"..","type":"t"})").error().code,
            Code::invalid_config);
}

TEST(InterfaceName, ControlAndNonUtf8BytesAreRefused) {
  EXPECT_FALSE(interface_name_problem("eth0"));
  EXPECT_FALSE(interface_name_problem("\xc3\xa9th0")) << "valid UTF-8 passes";
  for (std::string bad : {std::string("eth\x01"), std::string("eth\x7f"), std::string("eth\x1b[1m"),
                          std::string("eth\xff"), std::string("eth\xc3"), std::string("\xc2\x85x"),
                          std::string("e\xe0\x80\x80")})
    EXPECT_TRUE(interface_name_problem(bad)) << bad;
  auto env = add_env();
  env["CNI_IFNAME"] = "eth\x1b";
  auto e = parse_env(env_of(env));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Code::invalid_env);
}

TEST(CniArgs, ControlAndNonUtf8BytesAreRefused) {
  EXPECT_TRUE(parse_cni_args("K8S_POD_NAME=web-1;IgnoreUnknown=1"));
  for (std::string bad : {std::string("K=a\nb"), std::string("K\x01=v"), std::string("K=\xff"),
                          std::string("IgnoreUnknown=1;K8S_POD_NAME=\x1b]0;x")}) {
    auto r = parse_cni_args(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::invalid_env);
  }
  for (const char* var : {"CNI_NETNS", "CNI_PATH"}) {
    auto env = add_env();
    env[var] += "\n";
    auto e = parse_env(env_of(env));
    ASSERT_FALSE(e) << var;
    EXPECT_NE(e.error().msg.find(var), std::string::npos);
  }
}

TEST(PrefixSpelling, LeadingZerosInTheLengthAreRefused) {
  using podnet::net::Prefix;
  EXPECT_FALSE(Prefix::parse("10.0.0.0/08"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/024"));
  EXPECT_FALSE(Prefix::parse("fd00::/064"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/00"));
  EXPECT_TRUE(Prefix::parse("10.0.0.0/0"));
  EXPECT_TRUE(Prefix::parse("10.0.0.0/8"));
  EXPECT_FALSE(podnet::net::IpAddress::parse("010.0.0.1"));
}

// Delegated plugins that misbehave: scripts in a private temp dir.
class ExecHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podnet-exec-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string script(const std::string& name, const std::string& body) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    ::chmod(p.c_str(), 0755);
    return p;
  }
  std::string dir_;
};

TEST_F(ExecHostile, ChildThatExitsWithoutReadingALargeStdinGivesAnError) {
  // The config is far larger than a pipe: without SIGPIPE ignored (run_plugin does that) the
  // write would kill us; here EPIPE must become the child's own failure.
  ::signal(SIGPIPE, SIG_IGN);
  auto p = script("early", "exit 3");
  std::string big = R"({"cniVersion":"1.1.0","pad":")" + std::string(4 << 20, 'x') + "\"}";
  auto r = exec_plugin(p, Command::add, big);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("exit status 3"), std::string::npos) << r.error().msg;
}

TEST_F(ExecHostile, ChildThatReadsLargeStdinAfterWritingWorks) {
  ::signal(SIGPIPE, SIG_IGN);
  auto p = script("echoer", "echo '{\"cniVersion\":\"1.1.0\"}'; cat >/dev/null");
  std::string big(1 << 20, ' ');
  auto r = exec_plugin(p, Command::add, "{}" + big);
  ASSERT_TRUE(r) << r.error().msg;
  EXPECT_EQ((*r)["cniVersion"], "1.1.0");
}

TEST_F(ExecHostile, HangingChildIsKilledAtTheDeadline) {
  auto p = script("hang", "exec sleep 1000");
  ExecLimits lim;
  lim.timeout = std::chrono::milliseconds(300);
  auto r = exec_plugin(p, Command::add, "{}", lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::io_failure);
  EXPECT_NE(r.error().msg.find("killed"), std::string::npos) << r.error().msg;
}

TEST_F(ExecHostile, ChildThatClosesStdoutButLingersIsKilled) {
  auto p = script("linger", "exec >&-; exec sleep 1000");
  ExecLimits lim;
  lim.timeout = std::chrono::milliseconds(300);
  auto r = exec_plugin(p, Command::add, "{}", lim);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("did not exit"), std::string::npos) << r.error().msg;
}

TEST_F(ExecHostile, OutputIsBounded) {
  auto p = script("flood", "exec cat /dev/zero");
  ExecLimits lim;
  lim.max_output = 1 << 16;
  auto r = exec_plugin(p, Command::add, "{}", lim);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("more than 65536 bytes"), std::string::npos) << r.error().msg;
}

TEST_F(ExecHostile, DeeplyNestedResultIsADecodeError) {
  auto p = script("nest", "head -c 300000 /dev/zero | tr '\\0' '['");
  auto r = exec_plugin(p, Command::add, "{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::decode_failure);
  EXPECT_NE(r.error().msg.find("nesting"), std::string::npos) << r.error().msg;
}
