#include "podnet/common/json_bounded.hpp"

#include <gtest/gtest.h>

#include <string>

namespace podnet {
namespace {

std::string nested(size_t levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}

TEST(JsonNestingDepth, CountsArraysAndObjects) {
  EXPECT_EQ(json_nesting_depth("1"), 0u);
  EXPECT_EQ(json_nesting_depth("[]"), 1u);
  EXPECT_EQ(json_nesting_depth(R"({"a":[{"b":[]}]})"), 4u);
  EXPECT_EQ(json_nesting_depth("[[],[[]]]"), 3u);
}

TEST(JsonNestingDepth, IgnoresBracketsInStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[{{{{"})"), 1u);
  EXPECT_EQ(json_nesting_depth(R"(["\"[[[[", "\\", [1]])"), 2u);
}

TEST(ParseJsonBounded, ParsesOrdinaryDocuments) {
  auto r = parse_json_bounded(R"({"name":"n","list":[1,2,{"x":null}]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["name"], "n");
  EXPECT_EQ((*r)["list"][2]["x"], nullptr);
}

TEST(ParseJsonBounded, AcceptsExactlyTheLimit) {
  EXPECT_TRUE(parse_json_bounded(nested(64)));
  EXPECT_TRUE(parse_json_bounded(nested(3), 3));
}

TEST(ParseJsonBounded, RefusesDeepNestingBeforeParsing) {
  for (size_t levels : {65u, 100000u, 1000000u}) {
    auto r = parse_json_bounded(nested(levels), 64, size_t{16} << 20, "netconf");
    ASSERT_FALSE(r) << levels;
    EXPECT_EQ(r.error().message, "netconf: nesting deeper than 64 levels");
  }
  // Unbalanced (truncated) input is refused the same way, never parsed.
  auto r = parse_json_bounded(std::string(300000, '{'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nesting deeper than 64 levels"), std::string::npos);
}

TEST(ParseJsonBounded, RefusesOversizedText) {
  auto r = parse_json_bounded(std::string(101, ' '), 64, 100, "answer");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "answer: 101 bytes, more than the limit of 100");
}

TEST(ParseJsonBounded, ReportsSyntaxErrorsWithWhat) {
  auto r = parse_json_bounded("{\"a\":", 64, 1000, "lab.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("lab.json: not valid JSON: parse error at line 1, column 6", 0), 0u) << r.error().message;
  EXPECT_FALSE(parse_json_bounded(""));
  EXPECT_FALSE(parse_json_bounded("[1] trailing"));
}

}  // namespace
}  // namespace podnet
