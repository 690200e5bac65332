#include "podnet/ipam/boot.hpp"

#include <gtest/gtest.h>

namespace podnet::ipam {
namespace {

TEST(Boot, Decision) {
  EXPECT_EQ(decide_boot(std::nullopt, "b2", true), BootAction::adopt);
  EXPECT_EQ(decide_boot(std::nullopt, "b2", false), BootAction::adopt);  // host-local's dir
  EXPECT_EQ(decide_boot("b2", "b2", false), BootAction::keep);
  EXPECT_EQ(decide_boot("b1", "b2", true), BootAction::reclaim_all);
  EXPECT_EQ(decide_boot("b1", "b2", false), BootAction::reclaim_older);
}

TEST(Boot, WhichRecordsGo) {
  const int64_t boot = 1'000'000;
  EXPECT_TRUE(reclaim_record(BootAction::reclaim_all, boot + 5, boot));
  EXPECT_TRUE(reclaim_record(BootAction::reclaim_older, boot - 1, boot));
  EXPECT_FALSE(reclaim_record(BootAction::reclaim_older, boot, boot));  // written this boot
  EXPECT_FALSE(reclaim_record(BootAction::keep, 0, boot));
  EXPECT_FALSE(reclaim_record(BootAction::adopt, 0, boot));
}

}  // namespace
}  // namespace podnet::ipam
