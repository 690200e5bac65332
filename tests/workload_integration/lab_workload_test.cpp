// The walkthrough through podnetctl on a real lab: 3 nodes, a 3-replica deployment spread one
// pod per node, each pod answering HTTP from the other nodes, replace, scale, errors, inspect,
// delete (netns and IPAM allocations gone). Skipped until podnetd and `lab up` are built.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "workload_env.hpp"

namespace podnet::testing {
namespace {

namespace fs = std::filesystem;

class LabWorkloads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root";
    ctl_ = build_path("apps/podnetctl/podnetctl");
    if (!fs::exists(ctl_) || !fs::exists(build_path("apps/podnetd/podnetd")))
      GTEST_SKIP() << "podnetctl or podnetd not built";
    auto p = unique_prefix("wll");
    lab_ = p.substr(0, p.size() - 1);
    std::string out;
    int rc = ctl("lab up --nodes 3", &out);
    up_ = true;
    ASSERT_EQ(rc, 0) << out;
  }
  void TearDown() override {
    if (!up_) return;
    std::string out;
    EXPECT_EQ(ctl("lab down", &out), 0) << out;
  }

  int ctl(const std::string& args, std::string* out = nullptr) {
    return sh(fmt::format("{} --lab {} {} 2>&1", ctl_, lab_, args), out);
  }
  nlohmann::json pods_json(const std::string& flags = "") {
    std::string out;
    if (ctl("get pods -o json " + flags, &out) != 0) return nlohmann::json::array();
    auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_object() ? j["items"] : nlohmann::json::array();
  }
  // Waits until n pods exist and all are ready (in the namespace `flags` names).
  nlohmann::json wait_ready(size_t n, int seconds = 60, const std::string& flags = "") {
    nlohmann::json items;
    for (int i = 0; i < seconds * 5; ++i) {
      items = pods_json(flags);
      size_t ready = 0;
      for (const auto& p : items) {
        auto pod = cluster::pod_from_json(p);
        ready += pod && pod->ready && pod->podIP;
      }
      if (items.size() == n && ready == n) return items;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return items;
  }
  std::string node_netns(const std::string& node) const {
    return "/var/run/netns/" + lab_ + "-" + node;
  }

  std::string ctl_, lab_;
  bool up_ = false;
};

TEST_F(LabWorkloads, DeploymentSpreadsServesHealsScalesAndGoes) {
  std::string out;
  ASSERT_EQ(ctl("create deployment web --replicas 3 --timeout 90", &out), 0) << out;
  EXPECT_NE(out.find("deployment.apps/web created"), std::string::npos) << out;
  auto items = wait_ready(3);
  ASSERT_EQ(items.size(), 3u) << items.dump();
  std::vector<cluster::Pod> pods;
  std::set<std::string> nodes;
  for (const auto& j : items) {
    pods.push_back(*cluster::pod_from_json(j));
    nodes.insert(pods.back().node);
  }
  EXPECT_EQ(nodes.size(), 3u) << "one pod per node";

  // Every pod answers from every other node with its own name, IP and node.
  for (const auto& p : pods)
    for (const auto& n : nodes) {
      if (n == p.node) continue;
      EXPECT_EQ(http_get(node_netns(n), p.podIP->str(), 80),
                fmt::format("pod {} ip {} node {}\n", p.name, p.podIP->str(), p.node))
          << "from " << n;
    }

  // logs: the container's access lines show the peer as it arrived, the pod's own address.
  ASSERT_EQ(ctl(fmt::format("exec {} -- curl -s -m 3 http://{}/from-a-pod", pods[1].name,
                            pods[0].podIP->str()),
                &out),
            0)
      << out;
  ASSERT_EQ(ctl("logs --tail 1 " + pods[0].name, &out), 0) << out;
  EXPECT_TRUE(std::regex_match(
      out, std::regex(fmt::format("\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ {}:\\d+ "
                                  "\"GET /from-a-pod HTTP/1.1\" 200\n",
                                  pods[1].podIP->str()))))
      << out;
  ASSERT_EQ(ctl("logs " + pods[0].name, &out), 0) << out;
  EXPECT_GE(std::count(out.begin(), out.end(), '\n'), 3) << "one line per request so far: " << out;
  EXPECT_NE(ctl("logs nope-12345", &out), 0);
  EXPECT_NE(out.find("pods \"nope-12345\" not found"), std::string::npos) << out;

  ASSERT_EQ(ctl("get pods -o wide", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE\n")))
      << out;
  EXPECT_NE(out.find(pods[0].name), std::string::npos);
  EXPECT_NE(out.find("1/1"), std::string::npos);
  ASSERT_EQ(ctl("get deployments", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("web +3/3 +3 +3 "))) << out;

  ASSERT_EQ(ctl("inspect pod " + pods[0].name, &out), 0) << out;
  EXPECT_NE(out.find("eth0@if"), std::string::npos) << out;
  EXPECT_NE(out.find(pods[0].podIP->str() + "/24"), std::string::npos) << out;
  // podnetd writes routed (ptp) pods by default: the host veth is on no bridge.
  EXPECT_NE(out.find("(routed, no bridge)"), std::string::npos) << out;
  EXPECT_NE(out.find("node routes"), std::string::npos) << out;

  // delete pod: replaced
  ASSERT_EQ(ctl("delete pod " + pods[0].name, &out), 0) << out;
  items = wait_ready(3);
  ASSERT_EQ(items.size(), 3u);
  for (const auto& j : items) EXPECT_NE(j["metadata"]["name"], pods[0].name);

  // scale up and down
  ASSERT_EQ(ctl("scale deployment web --replicas 5", &out), 0) << out;
  EXPECT_EQ(wait_ready(5).size(), 5u);
  ASSERT_EQ(ctl("scale deployment web --replicas 1", &out), 0) << out;
  EXPECT_EQ(wait_ready(1).size(), 1u);

  // errors name the bad argument and exit non-zero
  EXPECT_NE(ctl("create deployment web --wait=false", &out), 0);
  EXPECT_NE(out.find("deployment \"web\" already exists"), std::string::npos) << out;
  EXPECT_NE(ctl("scale deployment web --replicas -1", &out), 0);
  EXPECT_NE(out.find("replicas"), std::string::npos) << out;
  EXPECT_NE(ctl("scale deployment nope --replicas 1", &out), 0);
  EXPECT_NE(out.find("\"nope\" not found"), std::string::npos) << out;
  EXPECT_NE(ctl("delete pod nope-12345", &out), 0);
  EXPECT_NE(out.find("pod \"nope-12345\" not found"), std::string::npos) << out;
  EXPECT_NE(sh(fmt::format("{} --lab {}x get pods 2>&1", ctl_, lab_), &out), 0);
  EXPECT_NE(out.find("no lab"), std::string::npos) << out;

  // delete deployment: pods, their netns and IPAM allocations go
  ASSERT_EQ(ctl("delete deployment web", &out), 0) << out;
  bool gone = false;
  for (int i = 0; i < 150 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    gone = pods_json().empty();
    for (const auto& e : fs::directory_iterator("/var/run/netns"))
      gone &= !e.path().filename().string().starts_with(lab_ + "-pod-");
  }
  EXPECT_TRUE(gone) << "pods or pod netns left";
  std::string ips;
  sh(fmt::format("ls /run/podnet-lab/{}/nodes/*/ipam/*/ 2>/dev/null | grep -E '^[0-9]+\\.' ", lab_),
     &ips);
  EXPECT_EQ(ips, "") << "IPAM allocations left";
}

// kubectl's -n/-A: the same deployment name in two namespaces makes two sets of pods, each
// with its own netns, listed, reached, inspected and deleted apart.
TEST_F(LabWorkloads, NamespacesKeepSameNamesApart) {
  std::string out;
  ASSERT_EQ(ctl("create deployment web --replicas 1 --timeout 90", &out), 0) << out;
  ASSERT_EQ(ctl("create deployment web --replicas 2 --timeout 90 -n team-a", &out), 0) << out;
  auto team = wait_ready(2, 60, "-n team-a");
  ASSERT_EQ(team.size(), 2u) << team.dump();
  ASSERT_EQ(wait_ready(1).size(), 1u);
  for (const auto& j : team) {
    auto p = *cluster::pod_from_json(j);
    EXPECT_EQ(p.ns, "team-a");
    // its netns carries the namespace; exec and inspect find it with -n
    EXPECT_TRUE(fs::exists(fmt::format("/var/run/netns/{}-pod-{}.team-a", lab_, p.name)));
    ASSERT_EQ(ctl(fmt::format("exec -n team-a {} -- ip -4 -o addr show dev eth0", p.name), &out), 0)
        << out;
    EXPECT_NE(out.find(p.podIP->str() + "/24"), std::string::npos) << out;
    ASSERT_EQ(ctl("inspect pod -n team-a " + p.name, &out), 0) << out;
    EXPECT_NE(out.find("pod team-a/" + p.name), std::string::npos) << out;
    EXPECT_NE(ctl("inspect pod " + p.name, &out), 0) << "found in default: " << out;
    EXPECT_EQ(http_get(node_netns(p.node), p.podIP->str(), 80),
              fmt::format("pod {} ip {} node {}\n", p.name, p.podIP->str(), p.node));
  }

  ASSERT_EQ(ctl("get pods -A", &out), 0) << out;
  EXPECT_TRUE(
      std::regex_search(out, std::regex("^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE\n")))
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\ndefault +web-"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\nteam-a +web-"))) << out;
  ASSERT_EQ(ctl("get deployments --all-namespaces", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\ndefault +web +1/1 "))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\nteam-a +web +2/2 "))) << out;
  EXPECT_NE(ctl("get pods -A web-x", &out), 0);
  EXPECT_NE(out.find("across all namespaces"), std::string::npos) << out;
  ASSERT_EQ(ctl("get pods -n team-b", &out), 0) << out;
  EXPECT_NE(out.find("No resources found in team-b namespace."), std::string::npos) << out;
  EXPECT_NE(ctl("get pods -n Team_A", &out), 0);
  EXPECT_NE(out.find("--namespace: \"Team_A\" is not a DNS-1123 label"), std::string::npos) << out;

  // deleting team-a's deployment leaves default's alone
  ASSERT_EQ(ctl("delete deployment web -n team-a", &out), 0) << out;
  bool gone = false;
  for (int i = 0; i < 150 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    gone = pods_json("-n team-a").empty();
    for (const auto& e : fs::directory_iterator("/var/run/netns"))
      gone &= !e.path().filename().string().ends_with(".team-a");
  }
  EXPECT_TRUE(gone) << "team-a pods or their netns left";
  EXPECT_EQ(pods_json().size(), 1u);
  ASSERT_EQ(ctl("get deployments", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\nweb +1/1 "))) << out;
}

}  // namespace
}  // namespace podnet::testing
