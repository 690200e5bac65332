#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "podnet/proxy/key_counts.hpp"

namespace podnet::proxy {
namespace {

TEST(KeyCounts, CountsAndForgetsAtZero) {
  KeyCounts k;
  EXPECT_EQ(k.get("a"), 0);
  EXPECT_EQ(k.add("a", 1), 0);
  EXPECT_EQ(k.add("a", 1), 1);
  EXPECT_EQ(k.add(std::string_view("a\0b", 3), 1), 0);  // keys are bytes, NULs included
  EXPECT_EQ(k.get("a"), 2);
  EXPECT_EQ(k.size(), 2u);
  EXPECT_EQ(k.add("a", -2), 2);
  EXPECT_EQ(k.get("a"), 0);
  EXPECT_EQ(k.size(), 1u);
  EXPECT_EQ(k.add("b", 0), 0);  // no entry for a zero change
  EXPECT_EQ(k.size(), 1u);
  k.clear();
  EXPECT_EQ(k.get(std::string_view("a\0b", 3)), 0);
  EXPECT_EQ(k.size(), 0u);
}

// Random churn against std::map: growth, removals with backward shifts, arena compaction.
TEST(KeyCounts, MatchesAMapUnderChurn) {
  KeyCounts k;
  std::map<std::string, int> ref;
  std::mt19937 rng(7);
  k.reserve(1000);
  for (int step = 0; step < 100000; ++step) {
    std::string key = "e" + std::to_string(rng() % 5000);
    if (rng() % 3 == 0) key += std::string(rng() % 20, 'x');
    int delta = (rng() % 2 == 0 || ref[key] == 0) ? 1 : -1;
    int before = ref[key];
    ASSERT_EQ(k.add(key, delta), before) << key << " at step " << step;
    if ((ref[key] += delta) == 0) ref.erase(key);
    if (step % 4999 == 0) {
      for (const auto& [rk, rv] : ref) ASSERT_EQ(k.get(rk), rv) << rk;
    }
  }
  size_t nonzero = 0;
  for (const auto& [rk, rv] : ref) {
    EXPECT_EQ(k.get(rk), rv);
    nonzero += rv != 0;
  }
  EXPECT_EQ(k.size(), nonzero);
}

// Keys of removed entries do not pile up: the arena is compacted.
TEST(KeyCounts, ChurnDoesNotGrowMemory) {
  KeyCounts k;
  for (int i = 0; i < 1000; ++i) k.add("stay" + std::to_string(i), 1);
  const size_t settled = [&] {
    for (int round = 0; round < 3; ++round)
      for (int i = 0; i < 1000; ++i)
        k.add("churn-" + std::to_string(round) + "-" + std::to_string(i), 1);
    for (int round = 0; round < 3; ++round)
      for (int i = 0; i < 1000; ++i)
        k.add("churn-" + std::to_string(round) + "-" + std::to_string(i), -1);
    return k.memory();
  }();
  for (int round = 3; round < 300; ++round) {
    for (int i = 0; i < 1000; ++i)
      k.add("churn-" + std::to_string(round) + "-" + std::to_string(i), 1);
    for (int i = 0; i < 1000; ++i)
      k.add("churn-" + std::to_string(round) + "-" + std::to_string(i), -1);
  }
  EXPECT_EQ(k.size(), 1000u);
  EXPECT_LE(k.memory(), 2 * settled);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(k.get("stay" + std::to_string(i)), 1);
}

}  // namespace
}  // namespace podnet::proxy
