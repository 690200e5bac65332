// Fuzzer findings in podnet::net (fuzz/fuzz_ip.cpp).
#include <gtest/gtest.h>

#include <string_view>

#include "podnet/net/ip.hpp"

using podnet::net::IpAddress;
using podnet::net::Prefix;
using namespace std::string_view_literals;

// fuzz_ip-crash-f7bf4ee6: inet_pton read up to the embedded NUL, so everything after it was
// silently ignored ("1:2::" parsed).
TEST(FuzzRegressIp, EmbeddedNulIsRejected) {
  constexpr auto input = "1:2::\x00.:5:\x01\x00` \x00\x00h\xd1\x37"sv;
  ASSERT_EQ(input.size(), 19u);
  EXPECT_FALSE(IpAddress::parse(input));
  EXPECT_FALSE(IpAddress::parse("10.0.0.1\0junk"sv));
  EXPECT_FALSE(IpAddress::parse("10.0.0.1\0"sv));
  EXPECT_FALSE(Prefix::parse("10.0.0.0\0x/24"sv));
  EXPECT_FALSE(Prefix::parse("10.0.0.1\0"sv, /*allow_bare=*/true));
  EXPECT_TRUE(IpAddress::parse("10.0.0.1"sv));
}

// fuzz_ip-crash-7aa4120e: distance() returned UINT64_MAX ("exceeds 64 bits") whenever the
// bytes above the low 8 differed, even for neighbours across a 64-bit boundary.
TEST(FuzzRegressIp, DistanceAcrossThe64BitBoundary) {
  auto a = *IpAddress::parse("::ffff:ffff:ffff:ffff");
  EXPECT_EQ(a.next().str(), "0:0:0:1::");
  EXPECT_EQ(IpAddress::distance(a, a.next()), 1u);
  EXPECT_EQ(IpAddress::distance(*IpAddress::parse("fd00::ffff:ffff:ffff:fffe"),
                                *IpAddress::parse("fd00:0:0:1::1")),
            3u);
  // Still saturating when the true distance does not fit.
  EXPECT_EQ(IpAddress::distance(*IpAddress::parse("fd00::"), *IpAddress::parse("fd00:0:0:1::")),
            UINT64_MAX);
  EXPECT_EQ(IpAddress::distance(*IpAddress::parse("fd00::"),
                                *IpAddress::parse("fd00::ffff:ffff:ffff:ffff")),
            UINT64_MAX);
  EXPECT_EQ(IpAddress::distance(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.1.1")),
            256u);
}
