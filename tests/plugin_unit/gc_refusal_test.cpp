// GC without the runtime's list of valid attachments must refuse (code 7) before touching
// anything: treating "no list" as "nothing is valid" removed every masquerade entry of the
// network. The refusal comes before any system call, so no root is needed.
#include <gtest/gtest.h>

#include "podnet/plugin/commands.hpp"

using namespace podnet;

namespace {
cni::CmdArgs gc_args(const std::string& extra) {
  cni::CmdArgs a;
  a.env.command = cni::Command::gc;
  a.env.path = "/nonexistent";
  a.cni_version = "1.1.0";
  a.stdin_data = R"({"cniVersion":"1.1.0","name":"n","type":"podnet","ipMasq":true,)"
                 R"("ipam":{"type":"podnet-ipam","subnet":"10.1.0.0/24"})" +
                 extra + "}";
  return a;
}
}  // namespace

TEST(PluginGc, RefusesWithoutAttachmentList) {
  auto r = plugin::cmd_gc(gc_args(""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::invalid_config);
  EXPECT_NE(r.error().msg.find("cni.dev/valid-attachments: missing"), std::string::npos)
      << r.error().msg;
  r = plugin::cmd_gc(gc_args(R"(,"cni.dev/valid-attachments":null)"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::invalid_config);
}

TEST(PluginGc, MalformedListIsRefused) {
  auto r = plugin::cmd_gc(gc_args(R"(,"cni.dev/valid-attachments":[{"containerID":"c"}])"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, cni::Code::invalid_config);
  EXPECT_NE(r.error().msg.find("ifname"), std::string::npos) << r.error().msg;
}

TEST(PluginGc, WithAListItGoesOnToTheIpamPlugin) {
  // An empty list is a list: GC proceeds (and fails here only because CNI_PATH has no IPAM).
  auto r = plugin::cmd_gc(gc_args(R"(,"cni.dev/valid-attachments":[])"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("podnet-ipam"), std::string::npos) << r.error().msg;
}
