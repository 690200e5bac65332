// The controller against a store of its own (no netns needed): spread, replace, scale, cascade.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/store/store.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/" + unique_prefix("wlc") + "dir";
    std::filesystem::create_directories(dir_);
    url_ = "sqlite://" + dir_ + "/store.db";
    store_ = std::move(store::open_store(url_).value());
    for (const auto& [name, ip] : std::map<std::string, std::string>{
             {"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"}, {"lxb003", "10.1.1.17"}}) {
      cluster::Node n;
      n.name = name;
      n.internalIP = *net::IpAddress::parse(ip);
      n.podCIDR = *net::Prefix::parse("192.168." + ip.substr(7) + ".0/24");
      ASSERT_TRUE(store_->put(cluster::node_key(name), cluster::to_json(n).dump()).has_value());
    }
    thread_ = std::thread([this] {
      (void)lab::controller_loop({url_, std::chrono::milliseconds(200)}, stop_);
    });
  }
  void TearDown() override {
    stop_ = true;
    thread_.join();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void put_deployment(int64_t replicas) {
    auto d = cluster::make_deployment("default", "web", replicas, 80, std::time(nullptr));
    ASSERT_TRUE(
        store_->put(cluster::deployment_key("default", "web"), cluster::to_json(*d).dump()));
  }
  std::vector<cluster::Pod> pods() {
    std::vector<cluster::Pod> out;
    auto list = store_->list(cluster::pods_prefix);  // kept: a range-for over ->items of the
    if (!list) return out;                           // temporary would dangle
    for (const auto& kv : list->items)
      out.push_back(*cluster::pod_from_json(nlohmann::json::parse(kv.value)));
    return out;
  }
  // Waits until there are n pods (and they stay n for a moment: no overshoot).
  std::vector<cluster::Pod> wait_pods(size_t n) {
    for (int i = 0; i < 100; ++i) {
      if (pods().size() == n) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (auto p = pods(); p.size() == n) return p;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pods();
  }

  std::string dir_, url_;
  std::unique_ptr<store::Store> store_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(ControllerTest, KeepsReplicasSpreadReplacesScalesAndCascades) {
  put_deployment(3);
  auto p = wait_pods(3);
  ASSERT_EQ(p.size(), 3u);
  std::map<std::string, int> per_node;
  for (const auto& pod : p) {
    ++per_node[pod.node];
    EXPECT_EQ(pod.owner, "web");
    EXPECT_EQ(pod.labels.at("app"), "web");
    EXPECT_EQ(pod.name.size(), 9u) << pod.name;
  }
  EXPECT_EQ(per_node.size(), 3u) << "one pod per node";

  // A deleted pod is replaced, on the node it left.
  const auto victim = p[1];
  ASSERT_TRUE(*store_->del(cluster::pod_key("default", victim.name)));
  p = wait_pods(3);
  ASSERT_EQ(p.size(), 3u);
  bool replaced = false;
  for (const auto& pod : p) replaced |= pod.name != victim.name && pod.node == victim.node;
  EXPECT_TRUE(replaced);

  put_deployment(5);
  EXPECT_EQ(wait_pods(5).size(), 5u);
  put_deployment(1);
  EXPECT_EQ(wait_pods(1).size(), 1u);

  ASSERT_TRUE(*store_->del(cluster::deployment_key("default", "web")));
  EXPECT_EQ(wait_pods(0).size(), 0u);
}

}  // namespace
}  // namespace podnet::testing
