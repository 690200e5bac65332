#include <gtest/gtest.h>

#include "podnet/plugin/step_timer.hpp"

namespace podnet::plugin {
namespace {

TEST(StepTimes, OneLineWithTotal) {
  EXPECT_EQ(format_steps({{"conf", 12}, {"veth", 40}}), "timing: conf=12us veth=40us total=52us");
  EXPECT_EQ(format_steps({}), "timing: total=0us");
}

}  // namespace
}  // namespace podnet::plugin
