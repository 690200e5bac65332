#include <gtest/gtest.h>

#include "podnet/agent/loop_clock.hpp"

namespace podnet::agent {
namespace {

using namespace std::chrono_literals;
using Tp = LoopClock::time_point;

const Tp t0 = Tp{} + 1000s;

TEST(LoopClock, FullPassEveryResyncPeriod) {
  LoopClock c(LoopPeriods{.resync = 30s});
  EXPECT_TRUE(c.resync_due(t0));  // none yet
  c.full_pass_done(t0);
  EXPECT_FALSE(c.resync_due(t0 + 29s));
  EXPECT_TRUE(c.resync_due(t0 + 30s));
  // A pass for another reason (the subnet or the underlay changed) starts the period again.
  c.full_pass_done(t0 + 20s);
  EXPECT_FALSE(c.resync_due(t0 + 30s));
  EXPECT_TRUE(c.resync_due(t0 + 50s));
  LoopClock fast(LoopPeriods{.resync = 2s});  // --resync-period 2
  fast.full_pass_done(t0);
  EXPECT_FALSE(fast.resync_due(t0 + 1999ms));
  EXPECT_TRUE(fast.resync_due(t0 + 2s));
}

TEST(LoopClock, UnderlayReadEveryPeriodFromTheFirstPass) {
  LoopClock c;
  EXPECT_TRUE(c.underlay_due(t0));
  c.underlay_read(t0);
  EXPECT_FALSE(c.underlay_due(t0 + 4s));
  EXPECT_TRUE(c.underlay_due(t0 + 5s));
}

TEST(LoopClock, RetryOnlyWhatIsPendingAtMostOnceASecond) {
  LoopClock c;
  EXPECT_FALSE(c.retry_due(t0, false));  // everything in place: nothing to retry
  EXPECT_TRUE(c.retry_due(t0, true));
  c.retried(t0);
  EXPECT_FALSE(c.retry_due(t0 + 999ms, true));
  EXPECT_TRUE(c.retry_due(t0 + 1s, true));
  EXPECT_FALSE(c.retry_due(t0 + 1s, false));
}

}  // namespace
}  // namespace podnet::agent
