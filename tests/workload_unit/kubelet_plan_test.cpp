#include <gtest/gtest.h>

#include "podnet/lab/workload_plan.hpp"

namespace podnet::lab {
namespace {

TEST(KubeletPlan, StartsAssignedStopsTheRest) {
  PodRef a{"default", "web-a", 10}, b{"default", "web-b", 11}, c{"default", "web-c", 12};
  auto plan = plan_kubelet({a, b}, {b, c});
  EXPECT_EQ(plan.start, std::vector<PodRef>{a});
  EXPECT_EQ(plan.stop, std::vector<PodRef>{c});
}

TEST(KubeletPlan, ARecreatedPodOfTheSameNameIsReplaced) {
  PodRef old_web{"default", "web-a", 10}, new_web{"default", "web-a", 20};
  auto plan = plan_kubelet({new_web}, {old_web});
  EXPECT_EQ(plan.stop, std::vector<PodRef>{old_web});
  EXPECT_EQ(plan.start, std::vector<PodRef>{new_web});
  EXPECT_TRUE(plan_kubelet({new_web}, {new_web}).start.empty());
}

TEST(StatusUpdate, RunningReadyAndNoWriteWhenEqual) {
  cluster::Pod stored;
  stored.name = "web-a";
  LocalStatus local{"cid", net::IpAddress::parse("192.168.1.2").value(), true, true, 0, ""};
  auto up = status_update(stored, local);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->phase, cluster::PodPhase::Running);
  EXPECT_TRUE(up->ready);
  EXPECT_EQ(up->podIP->str(), "192.168.1.2");
  EXPECT_EQ(up->containerID, "cid");
  EXPECT_FALSE(status_update(*up, local).has_value());
  // container died: still Running (sandbox up) but not ready; restarts counted
  local.container_alive = false;
  local.restartCount = 1;
  auto down = status_update(*up, local);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->phase, cluster::PodPhase::Running);
  EXPECT_FALSE(down->ready);
  EXPECT_EQ(down->restartCount, 1);
}

TEST(StatusUpdate, CreatingAndFailing) {
  cluster::Pod stored;
  stored.name = "web-a";
  auto creating = status_update(stored, LocalStatus{});
  ASSERT_TRUE(creating.has_value());
  EXPECT_EQ(creating->phase, cluster::PodPhase::Pending);
  EXPECT_EQ(creating->reason, "ContainerCreating");
  LocalStatus err;
  err.error = "CNI ADD failed";
  EXPECT_EQ(status_update(stored, err)->reason, "Error");
}

}  // namespace
}  // namespace podnet::lab
