#include <gtest/gtest.h>

#include "podnet/nft/masq_plan.hpp"
#include "podnet/nft/masq_table.hpp"

using namespace podnet::nft;
using podnet::net::IpAddress;
using podnet::net::Prefix;

TEST(MasqPlan, BaseRulesNeverNamePods) {
  auto base = masq_base_commands();
  EXPECT_NE(base.find("flush chain inet podnet-cni postrouting"), std::string::npos);
  EXPECT_NE(base.find("@masq-v4 masquerade fully-random"), std::string::npos);
  EXPECT_EQ(base.find("jump"), std::string::npos);
}

TEST(MasqPlan, ElementsCarryTheAttachmentTag) {
  std::vector<MasqEntry> e = {{*IpAddress::parse("10.22.0.5"), *Prefix::parse("10.22.0.5/16")}};
  auto add = masq_add_elements(e, "net/c1/eth0");
  EXPECT_NE(add.find("masq-v4 { 10.22.0.5 comment \"net/c1/eth0\" }"), std::string::npos) << add;
  EXPECT_NE(add.find("own-net-v4 { 10.22.0.5 . 10.22.0.0/16 comment"), std::string::npos) << add;
  auto del = masq_delete_elements(e);
  EXPECT_NE(del.find("delete element inet podnet-cni own-net-v4 { 10.22.0.5 . 10.22.0.0/16 }"),
            std::string::npos);
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

TEST(MasqTable, ParsesListedElementsWithComments) {
  const char* listed =
      R"({"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "inet", "name": "podnet-cni"}},
      {"set": {"family": "inet", "name": "masq-v4", "table": "podnet-cni", "type": "ipv4_addr",
       "elem": [{"elem": {"val": "10.22.0.5", "comment": "n/c1/eth0"}}, "10.22.0.9"]}},
      {"set": {"family": "inet", "name": "own-net-v4", "table": "podnet-cni", "type": ["ipv4_addr", "ipv4_addr"],
       "flags": ["interval"], "elem": [{"elem": {"val": {"concat": ["10.22.0.5", {"prefix": {"addr": "10.22.0.0", "len": 16}}]},
       "comment": "n/c1/eth0"}}]}}]})";
  auto els = parse_listed_elements(listed);
  ASSERT_EQ(els.size(), 3u);
  EXPECT_EQ(els[0].set, "masq-v4");
  EXPECT_EQ(els[0].element, "10.22.0.5");
  EXPECT_EQ(els[0].tag, "n/c1/eth0");
  EXPECT_EQ(els[1].tag, "");
  EXPECT_EQ(els[2].element, "10.22.0.5 . 10.22.0.0/16");
  EXPECT_TRUE(parse_listed_elements("garbage").empty());
}
