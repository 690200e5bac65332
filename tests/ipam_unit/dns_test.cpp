#include "podnet/ipam/dns.hpp"

#include <gtest/gtest.h>

namespace podnet::ipam {
namespace {

TEST(ResolvConf, ParsesLikeHostLocal) {
  auto d = parse_resolv_conf(
      "# comment\n; also\nnameserver 10.0.0.10\nnameserver   fd00::10 \n"
      "domain a.example\ndomain b.example\nsearch x.example y.example\noptions ndots:5 edns0\n"
      "nameserver\nbogus line here\n");
  EXPECT_EQ(d.nameservers, (std::vector<std::string>{"10.0.0.10", "fd00::10"}));
  EXPECT_EQ(d.domain, "b.example");
  EXPECT_EQ(d.search, (std::vector<std::string>{"x.example", "y.example"}));
  EXPECT_EQ(d.options, (std::vector<std::string>{"ndots:5", "edns0"}));
  EXPECT_TRUE(parse_resolv_conf("").empty());
}

}  // namespace
}  // namespace podnet::ipam
