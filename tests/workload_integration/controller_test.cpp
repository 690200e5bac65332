// The controller against a store of its own (no netns needed): spread, replace, scale, cascade.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/log.hpp"
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
    // The controller's debug log, for its "pass done at revision R" lines.
    ASSERT_TRUE(log::set_file(dir_ + "/controller.log"));
    thread_ = std::thread([this] {
      (void)lab::controller_loop({url_, std::chrono::milliseconds(200)}, stop_);
    });
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    (void)log::set_file("");
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
  // The newest revision a finished controller pass had read (0: none yet).
  store::Revision last_pass() const {
    std::ifstream f(dir_ + "/controller.log");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const std::string needle = "pass done at revision ";
    store::Revision last = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
      last = std::max<store::Revision>(last, std::stoll(text.substr(pos + needle.size())));
    return last;
  }
  // Waits until there are n pods and then for a controller pass that read the store at least
  // as new as that listing: whatever that pass would add or remove (an overshoot) has been
  // written by then, so the pods returned are the settled ones.
  std::vector<cluster::Pod> wait_pods(size_t n) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      auto list = store_->list(cluster::pods_prefix);
      if (list && list->items.size() == n) {
        while (last_pass() < list->revision && std::chrono::steady_clock::now() < end)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the log
        EXPECT_GE(last_pass(), list->revision) << "no controller pass after the pods settled";
        return pods();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
