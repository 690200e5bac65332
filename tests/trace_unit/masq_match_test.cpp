// The masquerade chain as nft lists it, and the first rule a packet matches.
#include <gtest/gtest.h>

#include "lab_facts.hpp"

namespace podnet::trace::testing {
namespace {

const std::vector<std::string> kRules = {"ip saddr 192.168.1.0/24 ip daddr 192.168.0.0/16 return",
                                         "ip saddr 192.168.1.0/24 ip daddr 224.0.0.0/4 return",
                                         "ip saddr 192.168.1.0/24 masquerade"};

TEST(MasqMatch, PodToPodReturns) {
  auto m = match_masq(kRules, ip("192.168.1.2"), ip("192.168.2.2"));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->masquerade);
  EXPECT_EQ(m->rule, kRules[0]);
}

TEST(MasqMatch, PodToOutsideMasquerades) {
  auto m = match_masq(kRules, ip("192.168.1.2"), ip("203.0.113.1"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->masquerade);
  EXPECT_EQ(m->rule, kRules[2]);
}

TEST(MasqMatch, OtherSourcesMatchNothing) {
  EXPECT_FALSE(match_masq(kRules, ip("10.1.1.15"), ip("203.0.113.1")));
}

TEST(MasqMatch, NegationCountersAndUnknownRules) {
  std::vector<std::string> rules = {
      "meta mark 0x1 masquerade",  // not understood: skipped
      "ip daddr != 192.168.0.0/16 counter packets 3 bytes 180 masquerade fully-random"};
  auto m = match_masq(rules, ip("192.168.1.2"), ip("8.8.8.8"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->masquerade);
  EXPECT_EQ(m->rule, rules[1]);
  EXPECT_FALSE(match_masq(rules, ip("192.168.1.2"), ip("192.168.3.3")));
}

TEST(ChainRules, FromAnNftListing) {
  const char* listing =
      "table ip podnet {\n"
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
      "\t\tip saddr 192.168.1.0/24 ip daddr 192.168.0.0/16 return\n"
      "\t\tip saddr 192.168.1.0/24 masquerade # handle 4\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(chain_rules(listing),
            (std::vector<std::string>{"ip saddr 192.168.1.0/24 ip daddr 192.168.0.0/16 return",
                                      "ip saddr 192.168.1.0/24 masquerade"}));
}

}  // namespace
}  // namespace podnet::trace::testing
