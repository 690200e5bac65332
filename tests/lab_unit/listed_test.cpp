#include <gtest/gtest.h>

#include "podnet/cluster/objects.hpp"
#include "podnet/lab/listed.hpp"

namespace podnet::lab {
namespace {

TEST(ParseListing, KeepsWhatParsesAndNamesTheRest) {
  cluster::Node good{"lxb001", *net::IpAddress::parse("10.1.1.15"),
                     *net::Prefix::parse("192.168.0.0/24"), "", 0};
  std::vector<store::KeyValue> kvs = {
      {.key = "/podnet/nodes/lxb001", .value = cluster::to_json(good).dump()},
      {.key = "/podnet/nodes/lxb002", .value = "{garbage"},
      {.key = "/podnet/nodes/lxb003", .value = R"({"metadata":{}})"}};
  auto l =
      parse_listing<cluster::Node>(kvs, [](const auto& j) { return cluster::node_from_json(j); });
  ASSERT_EQ(l.items.size(), 1u);
  EXPECT_EQ(l.items[0], good);
  ASSERT_EQ(l.bad.size(), 2u);
  EXPECT_TRUE(l.bad[0].starts_with("/podnet/nodes/lxb002: not valid JSON: ")) << l.bad[0];
  EXPECT_TRUE(l.bad[1].starts_with("/podnet/nodes/lxb003: ")) << l.bad[1];
}

}  // namespace
}  // namespace podnet::lab
