#include "podnet/ipam/gc.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace podnet::ipam::testing {
namespace {

using nlohmann::json;

TEST(GcAttachments, UnionOfBothKeys) {
  auto j = json::parse(R"({"cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
                          "cni.dev/attachments":[{"containerID":"b","ifname":"eth0"}]})");
  auto r = parse_valid_attachments(j);
  ASSERT_TRUE(r) << r.error().msg;
  EXPECT_EQ(*r, (std::vector<Attachment>{{"a", "eth0"}, {"b", "eth0"}}));
  auto empty = parse_valid_attachments(json::parse(R"({"cni.dev/attachments":[]})"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(GcAttachments, ErrorsNameTheField) {
  auto msg = [](const char* text) {
    auto r = parse_valid_attachments(json::parse(text));
    EXPECT_FALSE(r);
    if (r) return std::string();
    EXPECT_EQ(r.error().code, cni::Code::invalid_config);
    return r.error().msg;
  };
  EXPECT_EQ(msg("{}"),
            "cni.dev/valid-attachments: missing; refusing to garbage-collect without the list of "
            "valid attachments");
  EXPECT_EQ(msg(R"({"cni.dev/valid-attachments":{}})"),
            "cni.dev/valid-attachments: want a list of {containerID, ifname}, got object");
  EXPECT_EQ(msg(R"({"cni.dev/attachments":[1]})"),
            "cni.dev/attachments[0]: want an object {containerID, ifname}, got number");
  EXPECT_EQ(msg(R"({"cni.dev/valid-attachments":[{"ifname":"eth0"}]})"),
            "cni.dev/valid-attachments[0].containerID: missing");
  EXPECT_EQ(msg(R"({"cni.dev/valid-attachments":[{"containerID":"a","ifname":3}]})"),
            "cni.dev/valid-attachments[0].ifname: want a string, got number");
}

TEST(GcSelect, FreesEverythingNotValid) {
  std::vector<Allocation> allocs = {
      {ip("10.0.0.2"), Owner{"a", "eth0", false}},
      {ip("10.0.0.3"), Owner{"a", "net1", false}},  // same container, other interface
      {ip("10.0.0.4"), Owner{"b", "eth0", false}},  // gone container
      {ip("10.0.0.5"), std::nullopt},               // unreadable (killed mid-write)
      {ip("10.0.0.6"), Owner{"c", "", true}},       // legacy: id only
      {ip("10.0.0.7"), Owner{"d", "", true}},       // legacy, gone
  };
  std::vector<Attachment> valid = {{"a", "eth0"}, {"c", "eth0"}};
  auto v = select_for_gc(allocs, valid);
  EXPECT_EQ(v, (std::vector<net::IpAddress>{ip("10.0.0.3"), ip("10.0.0.4"), ip("10.0.0.5"),
                                            ip("10.0.0.7")}));
  EXPECT_EQ(select_for_gc(allocs, {}).size(), allocs.size());
}

}  // namespace
}  // namespace podnet::ipam::testing
