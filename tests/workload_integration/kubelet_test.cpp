// The kubelet against one node netns: start, serve, restart a dead container, adopt after its
// own restart, stop on delete (netns, IPAM allocation and record gone).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "workload_env.hpp"

namespace podnet::testing {
namespace {

bool running_ready(const cluster::Pod& p) {
  return p.phase == cluster::PodPhase::Running && p.ready && p.podIP.has_value();
}

TEST(Kubelet, RunsServesRestartsAdoptsAndStopsAPod) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  WorkloadEnv env("wlk");
  env.put_pod("web-abcde", 8080);
  env.start_kubelet();
  auto pod = env.wait_pod("web-abcde", running_ready);
  ASSERT_TRUE(pod && running_ready(*pod)) << "pod never became Running/ready";
  EXPECT_EQ(pod->restartCount, 0);
  EXPECT_EQ(pod->containerID.size(), 32u);
  const std::string ip = pod->podIP->str();
  EXPECT_TRUE(ip.starts_with("192.168.77.")) << ip;
  const std::string netns = env.pod_netns("web-abcde");
  EXPECT_TRUE(std::filesystem::exists("/var/run/netns/" + netns));

  // The container answers from the node with its own name, IP and node.
  EXPECT_EQ(http_get(env.node().path(), ip, 8080), "pod web-abcde ip " + ip + " node node1\n");
  // eth0 in the pod netns has the address, the MTU of the conflist, lo is up.
  std::string out;
  sh("ip -n " + netns + " -o addr show dev eth0", &out);
  EXPECT_NE(out.find(ip + "/24"), std::string::npos) << out;
  sh("ip -n " + netns + " link show dev eth0", &out);
  EXPECT_NE(out.find("mtu 1450"), std::string::npos) << out;
  EXPECT_EQ(http_get("/var/run/netns/" + netns, "127.0.0.1", 8080).substr(0, 13), "pod web-abcde");

  // Kill the container: the kubelet restarts it and counts it.
  auto rec = env.record("web-abcde");
  ASSERT_TRUE(rec.is_object());
  const int first_container = rec["container"]["pid"];
  const int pause_pid = rec["pause"]["pid"];
  ASSERT_GT(first_container, 0);
  ::kill(first_container, SIGKILL);
  pod = env.wait_pod("web-abcde", [](const auto& p) { return p.restartCount == 1 && p.ready; });
  ASSERT_TRUE(pod && pod->restartCount == 1 && pod->ready) << "container not restarted";
  EXPECT_EQ(pod->podIP->str(), ip);
  EXPECT_EQ(http_get(env.node().path(), ip, 8080), "pod web-abcde ip " + ip + " node node1\n");

  // Restart the kubelet: it adopts the pod (same sandbox, same pause process, same IP).
  const std::string cid = pod->containerID;
  env.stop_kubelet();
  EXPECT_EQ(http_get(env.node().path(), ip, 8080).substr(0, 13), "pod web-abcde")
      << "pods keep running without their kubelet";
  const size_t passes = env.log_count("first pass done");
  env.start_kubelet();
  // The new kubelet adopted the pod and finished a whole pass over the store: anything it
  // would change (restart the container, re-add the network) it has done by then.
  ASSERT_TRUE(env.wait_log("first pass done: 1 pod(s)", passes + 1)) << "kubelet did not finish a pass";
  EXPECT_EQ(env.log_count("adopted pod default/web-abcde"), 1u);
  pod = env.get_pod("web-abcde");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->containerID, cid);
  EXPECT_EQ(pod->restartCount, 1);
  EXPECT_EQ(int(env.record("web-abcde")["pause"]["pid"]), pause_pid);
  EXPECT_EQ(env.allocated_ips(), std::vector<std::string>{ip});

  // Delete: container, CNI DEL (address released), pause, netns and record go.
  ASSERT_TRUE(env.store().del(cluster::pod_key("default", "web-abcde")).has_value());
  for (int i = 0; i < 100 && std::filesystem::exists("/var/run/netns/" + netns); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(std::filesystem::exists("/var/run/netns/" + netns));
  EXPECT_TRUE(env.allocated_ips().empty());
  EXPECT_TRUE(env.record("web-abcde").is_null());
  // the pause process is gone (or a zombie of the exited kubelet child, reaped by init)
  std::string stat;
  sh("cat /proc/" + std::to_string(pause_pid) + "/stat 2>/dev/null", &stat);
  EXPECT_TRUE(stat.find("(pause)") == std::string::npos || stat.find(") Z") != std::string::npos)
      << "pause process still alive: " << stat;
  EXPECT_FALSE(env.get_pod("web-abcde").has_value()) << "a deleted pod is never written back";
}

TEST(Kubelet, CleansUpAHalfMadePodOnStartAndIgnoresOtherNodes) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  WorkloadEnv env("wlh");
  // Another node's pod is not ours.
  cluster::Pod other;
  other.name = "db-zzzzz";
  other.node = "node2";
  ASSERT_TRUE(env.store()
                  .put(cluster::pod_key("default", "db-zzzzz"), cluster::to_json(other).dump())
                  .has_value());
  // A record whose pause process is gone: what a kubelet killed half-way leaves.
  std::filesystem::create_directories(env.config().pods_dir);
  nlohmann::json rec = {{"namespace", "default"},
                        {"name", "web-gone1"},
                        {"uid", 1},
                        {"containerID", "deadbeef"},
                        {"netns", env.pod_netns("web-gone1")},
                        {"pause", {{"pid", 999999}, {"start", 1}}},
                        {"container", {{"pid", 0}, {"start", 0}}},
                        {"cniAdded", true}};
  std::ofstream(env.config().pods_dir + "/default_web-gone1.json") << rec.dump();
  env.start_kubelet();
  for (int i = 0; i < 50 && !env.record("web-gone1").is_null(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(env.record("web-gone1").is_null());
  // A full pass over the store (which holds the other node's pod) is done: it was ignored.
  ASSERT_TRUE(env.wait_log("first pass done", 1)) << "kubelet did not finish a pass";
  auto p = env.get_pod("db-zzzzz");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->phase, cluster::PodPhase::Pending);
  EXPECT_TRUE(p->containerID.empty());
  EXPECT_FALSE(std::filesystem::exists("/var/run/netns/" + env.pod_netns("db-zzzzz")));
}

TEST(Kubelet, PodsWaitInContainerCreatingForTheNodeConflist) {
  if (!have_root()) GTEST_SKIP() << "needs root";
  WorkloadEnv env("wlw");
  const std::string conflist = env.config().conflist;
  std::filesystem::rename(conflist, conflist + ".later");
  env.put_pod("web-wait1", 80);
  env.start_kubelet();
  auto pod = env.wait_pod("web-wait1", [](const auto& p) { return !p.reason.empty(); });
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->reason, "ContainerCreating");
  EXPECT_EQ(pod->phase, cluster::PodPhase::Pending);
  std::filesystem::rename(conflist + ".later", conflist);  // podnetd got its subnet
  pod = env.wait_pod("web-wait1", running_ready);
  ASSERT_TRUE(pod && running_ready(*pod));
  EXPECT_EQ(http_get(env.node().path(), pod->podIP->str(), 80),
            "pod web-wait1 ip " + pod->podIP->str() + " node node1\n");
}

}  // namespace
}  // namespace podnet::testing
