#include <gtest/gtest.h>

#include "podnet/agent/masq_rules.hpp"

namespace podnet::agent {
namespace {

TEST(MasqRules, ReplacesOwnTableAtomically) {
  std::string t =
      masq_ruleset(*net::Prefix::parse("192.168.4.0/24"), *net::Prefix::parse("192.168.0.0/16"));
  EXPECT_EQ(t,
            "add table ip podnet\n"
            "delete table ip podnet\n"
            "table ip podnet {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            "    ip saddr 192.168.4.0/24 ip daddr 192.168.0.0/16 return\n"
            "    ip saddr 192.168.4.0/24 ip daddr 224.0.0.0/4 return\n"
            "    ip saddr 192.168.4.0/24 masquerade\n"
            "  }\n"
            "}\n");
  EXPECT_EQ(t.find("podnet-cni"), std::string::npos);  // the plugin's table is not ours
}

TEST(MasqRules, SameInputSameText) {
  auto a = masq_ruleset(*net::Prefix::parse("10.1.0.0/24"), *net::Prefix::parse("10.0.0.0/8"));
  auto b = masq_ruleset(*net::Prefix::parse("10.1.0.0/24"), *net::Prefix::parse("10.0.0.0/8"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, masq_ruleset(*net::Prefix::parse("10.2.0.0/24"), *net::Prefix::parse("10.0.0.0/8")));
}

TEST(MasqRules, Ipv6AndDelete) {
  std::string t =
      masq_ruleset(*net::Prefix::parse("fd00:1::/64"), *net::Prefix::parse("fd00::/48"));
  EXPECT_NE(t.find("table ip6 podnet {"), std::string::npos);
  EXPECT_NE(t.find("ip6 saddr fd00:1::/64 ip6 daddr fd00::/48 return"), std::string::npos);
  EXPECT_NE(t.find("ff00::/8"), std::string::npos);
  EXPECT_EQ(masq_delete(net::Family::v4), "add table ip podnet\ndelete table ip podnet\n");
}

}  // namespace
}  // namespace podnet::agent
