#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "podnet/lab/workload_plan.hpp"

namespace podnet::lab {
namespace {

using cluster::Deployment;
using cluster::Pod;

Deployment dep(const std::string& name, int64_t replicas) {
  return *cluster::make_deployment("default", name, replicas, 80, 100);
}

// Deterministic suffixes: aaaaa, aaaab, ...
std::function<std::string()> counter_suffix() {
  auto n = std::make_shared<int>(0);
  return [n] {
    int v = (*n)++;
    std::string s(5, 'a');
    for (int i = 4; i >= 0; --i, v /= 26) s[size_t(i)] = char('a' + v % 26);
    return s;
  };
}

Pod pod(const std::string& name, const std::string& owner, const std::string& node,
        int64_t created) {
  Pod p;
  p.name = name;
  p.owner = owner;
  p.labels = {{"app", owner}};
  p.node = node;
  p.created = created;
  return p;
}

TEST(ControllerPlan, SpreadsReplicasOverNodes) {
  auto plan =
      plan_controller({dep("web", 3)}, {}, {"lxb001", "lxb002", "lxb003"}, 500, counter_suffix());
  ASSERT_EQ(plan.create.size(), 3u);
  EXPECT_TRUE(plan.remove.empty());
  std::map<std::string, int> per_node;
  for (const auto& p : plan.create) {
    ++per_node[p.node];
    EXPECT_TRUE(std::regex_match(p.name, std::regex("web-[a-z0-9]{5}"))) << p.name;
    EXPECT_EQ(p.labels.at("app"), "web");
    EXPECT_EQ(p.owner, "web");
    EXPECT_EQ(p.port, 80);
    EXPECT_EQ(p.created, 500);
    EXPECT_EQ(p.phase, cluster::PodPhase::Pending);
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"lxb001", 1}, {"lxb002", 1}, {"lxb003", 1}}));
  EXPECT_EQ(plan.create[0].node, "lxb001");  // ties go to the first name
}

TEST(ControllerPlan, FillsTheLeastLoadedNodeOfTheDeploymentThenOfAll) {
  // web has one pod on lxb001; db has two on lxb002: the next web pod avoids lxb001 (web's
  // own) and then prefers lxb003 over lxb002 (fewer pods overall).
  std::vector<Pod> pods = {pod("web-aaaaa", "web", "lxb001", 1), pod("db-aaaaa", "db", "lxb002", 1),
                           pod("db-aaaab", "db", "lxb002", 1)};
  auto plan = plan_controller({dep("web", 2), dep("db", 2)}, pods, {"lxb001", "lxb002", "lxb003"},
                              500, counter_suffix());
  ASSERT_EQ(plan.create.size(), 1u);
  EXPECT_EQ(plan.create[0].node, "lxb003");
  EXPECT_NE(plan.create[0].name, "web-aaaaa");  // a taken name is drawn again
}

TEST(ControllerPlan, ScaleDownDeletesTheNewestFirst) {
  std::vector<Pod> pods = {pod("web-old01", "web", "lxb001", 10),
                           pod("web-new01", "web", "lxb002", 30),
                           pod("web-mid01", "web", "lxb003", 20)};
  auto plan =
      plan_controller({dep("web", 1)}, pods, {"lxb001", "lxb002", "lxb003"}, 500, counter_suffix());
  EXPECT_TRUE(plan.create.empty());
  ASSERT_EQ(plan.remove.size(), 2u);
  EXPECT_EQ(plan.remove[0].name, "web-new01");
  EXPECT_EQ(plan.remove[1].name, "web-mid01");
}

TEST(ControllerPlan, ScaleDownOfPodsOfTheSameAgeKeepsThemSpread) {
  std::vector<Pod> pods = {
      pod("web-aaaaa", "web", "lxb001", 10), pod("web-bbbbb", "web", "lxb001", 10),
      pod("web-ccccc", "web", "lxb002", 10), pod("web-ddddd", "web", "lxb003", 10)};
  auto plan =
      plan_controller({dep("web", 2)}, pods, {"lxb001", "lxb002", "lxb003"}, 500, counter_suffix());
  ASSERT_EQ(plan.remove.size(), 2u);
  EXPECT_EQ(plan.remove[0].name, "web-bbbbb");  // lxb001 holds two
  EXPECT_EQ(plan.remove[1].name, "web-ddddd");  // then one each: the last name
}

TEST(ControllerPlan, DeletedDeploymentTakesItsPodsButNotOthers) {
  Pod manual = pod("standalone", "", "lxb001", 1);
  std::vector<Pod> pods = {pod("web-aaaaa", "web", "lxb001", 1), manual};
  auto plan = plan_controller({}, pods, {"lxb001"}, 500, counter_suffix());
  ASSERT_EQ(plan.remove.size(), 1u);
  EXPECT_EQ(plan.remove[0].name, "web-aaaaa");
  EXPECT_TRUE(plan.create.empty());
}

TEST(ControllerPlan, ReplacesADeletedPodAndWaitsForNodes) {
  std::vector<Pod> pods = {pod("web-aaaaa", "web", "lxb001", 1)};
  auto plan = plan_controller({dep("web", 2)}, pods, {"lxb001", "lxb002"}, 500, counter_suffix());
  ASSERT_EQ(plan.create.size(), 1u);
  EXPECT_EQ(plan.create[0].node, "lxb002");
  EXPECT_TRUE(plan_controller({dep("web", 2)}, {}, {}, 500, counter_suffix()).create.empty());
  // a namespace of its own: same names do not collide across namespaces
  auto other = dep("web", 1);
  other.ns = "team";
  auto p2 = plan_controller({other}, pods, {"lxb001"}, 500, counter_suffix());
  ASSERT_EQ(p2.create.size(), 1u);
  EXPECT_EQ(p2.create[0].name, "web-aaaaa");
  EXPECT_EQ(p2.create[0].ns, "team");
  // default/web is gone in this input: its pod is an orphan, team/web does not adopt it
  ASSERT_EQ(p2.remove.size(), 1u);
  EXPECT_EQ(p2.remove[0].ns, "default");
}

TEST(ControllerPlan, PodSuffixAlphabet) {
  uint32_t n = 0;
  auto s = pod_suffix([&] { return n += 7; });
  EXPECT_TRUE(std::regex_match(s, std::regex("[a-z0-9]{5}"))) << s;
}

}  // namespace
}  // namespace podnet::lab

namespace podnet::lab {
namespace {

TEST(ScalingMessage, ChangesAndFirstSightOfANewDeployment) {
  EXPECT_EQ(scaling_message("web", std::nullopt, 3, 0), "Scaled up deployment web to 3");
  EXPECT_EQ(scaling_message("web", std::nullopt, 3, 3), std::nullopt)
      << "a running deployment found by a restarted controller is no news";
  EXPECT_EQ(scaling_message("web", std::nullopt, 0, 0), std::nullopt);
  EXPECT_EQ(scaling_message("web", 3, 3, 3), std::nullopt);
  EXPECT_EQ(scaling_message("web", 3, 5, 3), "Scaled up deployment web from 3 to 5");
  EXPECT_EQ(scaling_message("web", 5, 1, 5), "Scaled down deployment web from 5 to 1");
}

}  // namespace
}  // namespace podnet::lab
