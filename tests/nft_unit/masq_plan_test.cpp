#include <gtest/gtest.h>

#include "podnet/nft/masq_plan.hpp"

using namespace podnet::nft;
using podnet::net::IpAddress;
using podnet::net::Prefix;

TEST(MasqPlan, BaseRulesNeverNamePods) {
  auto base = masq_base_commands();
  EXPECT_NE(base.find("flush chain inet podnet-cni postrouting"), std::string::npos);
  EXPECT_NE(base.find("@masq-v4 masquerade fully-random"), std::string::npos);
  EXPECT_EQ(base.find("jump"), std::string::npos);
}

TEST(MasqPlan, ElementsInKernelKeyEncoding) {
  std::vector<MasqEntry> e = {{*IpAddress::parse("10.22.0.5"), *Prefix::parse("10.22.0.5/16")}};
  auto els = masq_elements(e, "net/c1/eth0");
  ASSERT_EQ(els.size(), 2u);
  EXPECT_EQ(els[0].set, "masq-v4");
  EXPECT_EQ(els[0].key, (std::vector<uint8_t>{10, 22, 0, 5}));
  EXPECT_TRUE(els[0].key_end.empty());
  EXPECT_EQ(els[0].comment, "net/c1/eth0");
  EXPECT_EQ(els[1].set, "own-net-v4");
  EXPECT_EQ(els[1].key, (std::vector<uint8_t>{10, 22, 0, 5, 10, 22, 0, 0}));
  EXPECT_EQ(els[1].key_end, (std::vector<uint8_t>{10, 22, 0, 5, 10, 22, 255, 255}));
  auto v6 = masq_elements({{*IpAddress::parse("fd00::5"), *Prefix::parse("fd00::5/64")}}, "t");
  EXPECT_EQ(v6[0].set, "masq-v6");
  EXPECT_EQ(v6[1].key.size(), 32u);
}

TEST(MasqPlan, TagsStayQuotableAndShort) {
  EXPECT_EQ(attachment_tag("net", "c1", "eth0"), "net/c1/eth0");
  EXPECT_TRUE(attachment_tag("net", "c1", "eth0").starts_with(network_tag_prefix("net")));
  auto long_tag = attachment_tag(std::string(100, 'n'), std::string(64, 'a'), "eth0");
  EXPECT_LE(long_tag.size(), 127u);
  EXPECT_TRUE(long_tag.starts_with(network_tag_prefix(std::string(100, 'n'))));
  auto quoted = attachment_tag("we\"ird", "c1", "eth0");
  EXPECT_EQ(quoted.find('"'), std::string::npos);
}

