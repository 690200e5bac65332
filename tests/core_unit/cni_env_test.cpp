#include <gtest/gtest.h>

#include <map>

#include "podnet/cni/env.hpp"

using namespace podnet::cni;

namespace {
Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const char* k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
std::map<std::string, std::string> add_env() {
  return {{"CNI_COMMAND", "ADD"}, {"CNI_CONTAINERID", "abc"}, {"CNI_NETNS", "/var/run/netns/x"},
          {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/opt/cni/bin"}};
}
}  // namespace

TEST(Env, AcceptsCompleteAdd) {
  auto m = add_env();
  m["CNI_ARGS"] = "IgnoreUnknown=1;IP=10.0.0.5";
  auto e = parse_env(env_of(m));
  ASSERT_TRUE(e) << e.error().msg;
  EXPECT_EQ(e->command, Command::add);
  EXPECT_EQ(e->arg("IP"), "10.0.0.5");
  EXPECT_EQ(e->arg("nope"), std::nullopt);
}

TEST(Env, EachMissingVariableIsNamed) {
  for (auto key : {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}) {
    auto m = add_env();
    m.erase(key);
    auto e = parse_env(env_of(m));
    ASSERT_FALSE(e) << key;
    EXPECT_EQ(e.error().code, Code::invalid_env);
    EXPECT_NE(e.error().msg.find(key), std::string::npos) << e.error().msg;
  }
}

TEST(Env, DelMayOmitNetns) {
  auto m = add_env();
  m["CNI_COMMAND"] = "DEL";
  m.erase("CNI_NETNS");
  EXPECT_TRUE(parse_env(env_of(m)));
}

TEST(Env, GcAndVersionNeedLittle) {
  EXPECT_TRUE(parse_env(env_of({{"CNI_COMMAND", "VERSION"}})));
  EXPECT_TRUE(parse_env(env_of({{"CNI_COMMAND", "GC"}, {"CNI_PATH", "/x"}})));
  EXPECT_TRUE(parse_env(env_of({{"CNI_COMMAND", "STATUS"}})));
}

TEST(Env, RejectsBadValues) {
  auto m = add_env();
  m["CNI_CONTAINERID"] = "-bad";
  EXPECT_EQ(parse_env(env_of(m)).error().code, Code::invalid_env);
  m = add_env();
  m["CNI_IFNAME"] = "a-very-long-ifname0";
  auto e = parse_env(env_of(m));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().msg.find("longer than 15"), std::string::npos);
  m = add_env();
  m["CNI_IFNAME"] = "eth/0";
  EXPECT_FALSE(parse_env(env_of(m)));
  m = add_env();
  m["CNI_COMMAND"] = "FROB";
  EXPECT_NE(parse_env(env_of(m)).error().msg.find("FROB"), std::string::npos);
  m = add_env();
  m["CNI_ARGS"] = "K8S_POD_NAME=a;garbage";
  EXPECT_NE(parse_env(env_of(m)).error().msg.find("garbage"), std::string::npos);
  EXPECT_FALSE(parse_env(env_of({})));
}

TEST(Env, ContainerIdSyntax) {
  EXPECT_TRUE(valid_container_id("a"));
  EXPECT_TRUE(valid_container_id("0a_b.c-d"));
  EXPECT_FALSE(valid_container_id(""));
  EXPECT_FALSE(valid_container_id("_a"));
  EXPECT_FALSE(valid_container_id("a/b"));
}
