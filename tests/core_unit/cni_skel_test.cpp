#include <gtest/gtest.h>

#include <map>

#include "podnet/cni/skel.hpp"

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
const std::map<std::string, std::string> kAdd = {{"CNI_COMMAND", "ADD"},
                                                 {"CNI_CONTAINERID", "c1"},
                                                 {"CNI_NETNS", "/x"},
                                                 {"CNI_IFNAME", "eth0"},
                                                 {"CNI_PATH", "/bin"}};
PluginFuncs funcs() {
  PluginFuncs f;
  f.add = [](const CmdArgs& a) -> CmdResult { return json{{"cniVersion", a.cni_version}}; };
  f.del = [](const CmdArgs&) -> CmdResult { return json(); };
  f.check = [](const CmdArgs&) -> CmdResult {
    return std::unexpected(CniError(Code::check_drift, "drift"));
  };
  return f;
}
}  // namespace

TEST(Skel, VersionListsSupportedVersions) {
  auto o = dispatch(funcs(), env_of({{"CNI_COMMAND", "VERSION"}}), "");
  EXPECT_EQ(o.exit_code, 0);
  auto j = json::parse(o.stdout_text);
  EXPECT_EQ(j["cniVersion"], "1.1.0");
  EXPECT_EQ(j["supportedVersions"].size(), 5u);
}

TEST(Skel, AnswersInTheConfigVersion) {
  auto o = dispatch(funcs(), env_of(kAdd), R"({"cniVersion":"0.4.0","name":"n","type":"t"})");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(json::parse(o.stdout_text)["cniVersion"], "0.4.0");
}

TEST(Skel, ErrorsAreSpecJsonOnStdout) {
  auto o = dispatch(funcs(), env_of(kAdd), R"({"cniVersion":"2.0.0","name":"n","type":"t"})");
  EXPECT_EQ(o.exit_code, 1);
  auto j = json::parse(o.stdout_text);
  EXPECT_EQ(j["code"], 1);
  EXPECT_EQ(j["cniVersion"], "1.1.0");
  o = dispatch(funcs(), env_of(kAdd), "not json");
  EXPECT_EQ(json::parse(o.stdout_text)["code"], 6);
  auto env = kAdd;
  env.erase("CNI_IFNAME");
  o = dispatch(funcs(), env_of(env), R"({"cniVersion":"1.0.0","name":"n","type":"t"})");
  j = json::parse(o.stdout_text);
  EXPECT_EQ(j["code"], 4);
  EXPECT_EQ(j["cniVersion"], "1.0.0");
}

TEST(Skel, GatesCommandsByVersion) {
  auto env = kAdd;
  env["CNI_COMMAND"] = "CHECK";
  auto o = dispatch(funcs(), env_of(env), R"({"cniVersion":"0.3.1","name":"n","type":"t"})");
  EXPECT_EQ(json::parse(o.stdout_text)["code"], 1);
  o = dispatch(funcs(), env_of(env), R"({"cniVersion":"1.0.0","name":"n","type":"t"})");
  EXPECT_EQ(json::parse(o.stdout_text)["code"], 103);
  o = dispatch(funcs(), env_of({{"CNI_COMMAND", "STATUS"}}),
               R"({"cniVersion":"1.0.0","name":"n","type":"t"})");
  EXPECT_EQ(json::parse(o.stdout_text)["code"], 1);
  o = dispatch(funcs(), env_of({{"CNI_COMMAND", "STATUS"}}),
               R"({"cniVersion":"1.1.0","name":"n","type":"t"})");
  EXPECT_EQ(json::parse(o.stdout_text)["code"], 4);  // not implemented by this plugin
}

TEST(Skel, DelPrintsNothing) {
  auto env = kAdd;
  env["CNI_COMMAND"] = "DEL";
  auto o = dispatch(funcs(), env_of(env), R"({"cniVersion":"1.1.0","name":"n","type":"t"})");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.stdout_text, "");
}
