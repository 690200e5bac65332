// The lab end to end through the podnetctl binary, as a user runs it: up, status, get nodes,
// exec, errors, down; etcd + host-gw; down after kill -9 and without lab.json; a failed up
// leaves nothing. Each test has its own lab name and runs `lab down` in TearDown.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lab_cli.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::lab {
namespace {

using podnet::testing::build_path;
using podnet::testing::have_root;
using podnet::testing::sh;

using podnet::testing::CtlRun;
using podnet::testing::LabTest;
using podnet::testing::lines_of;
using podnet::testing::words_of;

TEST_F(LabTest, UpSqliteVxlanThenDown) {
  auto up = ctl("lab up --nodes 3 --store sqlite --backend vxlan");
  ASSERT_EQ(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("creating switch " + lab_ + "-sw... ok"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("waiting for the nodes to be ready... ok"), std::string::npos) << up.out;

  auto status = ctl("lab status");
  EXPECT_EQ(status.rc, 0) << status.out;
  EXPECT_NE(status.out.find("status: ok"), std::string::npos) << status.out;

  // get nodes: NAME IP PODS, sorted, one /24 of 192.168.0.0/16 each, all different.
  auto nodes = ctl("get nodes");
  ASSERT_EQ(nodes.rc, 0) << nodes.out;
  auto rows = lines_of(nodes.out);
  ASSERT_EQ(rows.size(), 4u) << nodes.out;
  EXPECT_EQ(words_of(rows[0]), (std::vector<std::string>{"NAME", "IP", "PODS"}));
  std::set<std::string> cidrs;
  const std::vector<std::pair<std::string, std::string>> want = {
      {"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"}, {"lxb003", "10.1.1.17"}};
  for (size_t i = 0; i < want.size(); ++i) {
    auto w = words_of(rows[i + 1]);
    ASSERT_EQ(w.size(), 3u) << rows[i + 1];
    EXPECT_EQ(w[0], want[i].first);
    EXPECT_EQ(w[1], want[i].second);
    auto cidr = net::Prefix::parse(w[2]);
    ASSERT_TRUE(cidr) << w[2];
    EXPECT_EQ(cidr->length(), 24);
    EXPECT_TRUE(net::Prefix::parse("192.168.0.0/16")->contains(*cidr));
    cidrs.insert(w[2]);
  }
  EXPECT_EQ(cidrs.size(), 3u);

  auto wide = ctl("get nodes -o wide");
  ASSERT_EQ(wide.rc, 0) << wide.out;
  EXPECT_EQ(words_of(lines_of(wide.out)[0]),
            (std::vector<std::string>{"NAME", "IP", "PODS", "BACKEND", "VTEP-MAC", "AGE"}));
  EXPECT_EQ(words_of(lines_of(wide.out)[1])[3], "vxlan");
  auto json = ctl("get nodes -o json");
  ASSERT_EQ(json.rc, 0);
  EXPECT_EQ(nlohmann::json::parse(json.out)["items"].size(), 3u);

  // Node to node over the switch, and exec's exit status.
  auto ping = ctl("exec --node lxb001 -- ping -c1 -W2 10.1.1.17");
  EXPECT_EQ(ping.rc, 0) << ping.out;
  auto ping_ext = ctl("exec --node lxb003 -- ping -c1 -W2 10.1.1.1");
  EXPECT_EQ(ping_ext.rc, 0) << ping_ext.out;
  auto addr = ctl("exec --node lxb002 -- ip -4 -o addr show dev eth0");
  EXPECT_NE(addr.out.find("10.1.1.16/24"), std::string::npos) << addr.out;
  EXPECT_EQ(ctl("exec --node lxb002 -- sh -c 'exit 7'").rc, 7);

  // Errors: one line naming what is wrong, non-zero exit.
  auto again = ctl("lab up --nodes 3");
  EXPECT_NE(again.rc, 0);
  EXPECT_NE(again.out.find("already up"), std::string::npos) << again.out;
  // get nodes NAME: that node only; an unknown one is an error naming it.
  auto one = ctl("get nodes lxb002");
  EXPECT_EQ(one.rc, 0) << one.out;
  EXPECT_EQ(lines_of(one.out).size(), 2u) << one.out;
  EXPECT_EQ(words_of(lines_of(one.out).back())[0], "lxb002") << one.out;
  auto missing = ctl("get nodes lxb009");
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.out.find("nodes \"lxb009\" not found"), std::string::npos) << missing.out;
  auto bad_node = ctl("exec --node lxb009 -- true");
  EXPECT_NE(bad_node.rc, 0);
  EXPECT_NE(bad_node.out.find("unknown node \"lxb009\""), std::string::npos) << bad_node.out;
  auto bad_pod = ctl("exec nosuchpod -- true");
  EXPECT_NE(bad_pod.rc, 0);
  EXPECT_NE(bad_pod.out.find("unknown pod \"nosuchpod\""), std::string::npos) << bad_pod.out;
  // The lab survived the failed second `up`.
  EXPECT_EQ(ctl("lab status").rc, 0);

  auto down = ctl("lab down");
  ASSERT_EQ(down.rc, 0) << down.out;
  expect_nothing_left();

  for (const auto* cmd : {"lab down", "lab status", "get nodes", "exec --node lxb001 -- true"}) {
    auto r = ctl(cmd);
    EXPECT_NE(r.rc, 0) << cmd;
    EXPECT_NE(r.out.find("no lab \"" + lab_ + "\""), std::string::npos) << cmd << ": " << r.out;
  }
}

TEST_F(LabTest, UpEtcdHostGw) {
  if (sh("command -v etcd >/dev/null") != 0) GTEST_SKIP() << "etcd (etcd-server) not installed";
  auto up = ctl("lab up --nodes 2 --store etcd --backend host-gw");
  ASSERT_EQ(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("starting etcd"), std::string::npos);
  auto status = ctl("lab status");
  EXPECT_EQ(status.rc, 0) << status.out;
  auto wide = ctl("get nodes -o wide");
  ASSERT_EQ(wide.rc, 0) << wide.out;
  auto rows = lines_of(wide.out);
  ASSERT_EQ(rows.size(), 3u) << wide.out;
  EXPECT_EQ(words_of(rows[1])[3], "host-gw");
  // host-gw: lxb002 reaches lxb001's pods straight through lxb001's underlay address.
  auto route = ctl("exec --node lxb002 -- ip -4 route show " + words_of(rows[1])[2]);
  EXPECT_NE(route.out.find("via 10.1.1.15"), std::string::npos) << route.out;
  EXPECT_EQ(ctl("exec --node lxb002 -- ping -c1 -W2 10.1.1.15").rc, 0);
  auto down = ctl("lab down");
  ASSERT_EQ(down.rc, 0) << down.out;
  expect_nothing_left();
}

TEST_F(LabTest, DownAfterKill9AndWithoutLabJson) {
  auto up = ctl("lab up --nodes 2");
  ASSERT_EQ(up.rc, 0) << up.out;
  auto j = lab_json();
  ASSERT_FALSE(j.is_discarded());
  int agent = 0;
  for (const auto& p : j["processes"])
    if (p["role"] == "podnetd" && p["node"] == "lxb002") agent = p["pid"];
  ASSERT_GT(agent, 0);
  ASSERT_EQ(::kill(agent, SIGKILL), 0);
  // Until it is reaped the process still exists: wait for status to see it gone.
  CtlRun status;
  for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
    status = ctl("lab status");
    if (status.out.find(fmt::format("{} DEAD", agent)) != std::string::npos) break;
  }
  EXPECT_NE(status.rc, 0) << status.out;
  EXPECT_NE(status.out.find(fmt::format("{} DEAD", agent)), std::string::npos) << status.out;

  // Leftovers without lab.json are still the lab's: down finds them by their names.
  std::filesystem::remove(lab_paths(lab_).lab_json());
  auto down = ctl("lab down");
  ASSERT_EQ(down.rc, 0) << down.out;
  expect_nothing_left();
}

TEST_F(LabTest, FailedUpLeavesNothing) {
  // No etcd on PATH: up fails half-way (switch, ext and etcd netns made) and must undo it all.
  auto up = ctl("lab up --nodes 2 --store etcd", "PATH=/nonexistent");
  EXPECT_NE(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("etcd"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("cleaning up"), std::string::npos) << up.out;
  expect_nothing_left();
  auto down = ctl("lab down");
  EXPECT_NE(down.rc, 0);
  EXPECT_NE(down.out.find("no lab"), std::string::npos) << down.out;
}

TEST_F(LabTest, DownRemovesPodsAndExecReachesThem) {
  if (ctl("create --help").out.find("deployment") == std::string::npos)
    GTEST_SKIP() << "this podnetctl has no workload commands";
  auto up = ctl("lab up --nodes 2");
  ASSERT_EQ(up.rc, 0) << up.out;
  auto create = ctl("create deployment web --replicas 2");
  ASSERT_EQ(create.rc, 0) << create.out;
  auto pods = ctl("get pods -o wide");
  ASSERT_EQ(pods.rc, 0) << pods.out;
  auto rows = lines_of(pods.out);
  ASSERT_EQ(rows.size(), 3u) << pods.out;
  for (size_t i = 1; i < rows.size(); ++i) {
    auto w = words_of(rows[i]);  // NAME READY STATUS RESTARTS AGE IP NODE
    ASSERT_EQ(w.size(), 7u) << rows[i];
    EXPECT_TRUE(std::filesystem::exists(netns_path(netns_pod(lab_, "default", w[0])))) << w[0];
    auto addr = ctl("exec " + w[0] + " -- ip -4 -o addr show dev eth0");
    EXPECT_NE(addr.out.find(w[5] + "/24"), std::string::npos) << addr.out;
    // From the other node, across the overlay.
    const std::string other = w[6] == "lxb001" ? "lxb002" : "lxb001";
    auto curl = ctl(fmt::format("exec --node {} -- curl -s -m 5 http://{}", other, w[5]));
    EXPECT_EQ(curl.rc, 0) << curl.out;
  }
  auto down = ctl("lab down");
  ASSERT_EQ(down.rc, 0) << down.out;
  expect_nothing_left();
}

// podnetctl copied next to a fake podnetd (binaries are found next to podnetctl's real path).
class FakeAgentTest : public LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    if (IsSkipped()) return;
    dir_ = "/tmp/" + lab_ + "-bin";
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(build_path("apps/podnetctl/podnetctl"), dir_ + "/podnetctl");
    for (const auto* p : {"podnet", "podnet-ipam"})
      std::filesystem::create_symlink(build_path(fmt::format("apps/{0}/{0}", p)), dir_ + "/" + p);
  }
  void TearDown() override {
    LabTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void fake_podnetd(const std::string& body) const {
    std::ofstream f(dir_ + "/podnetd");
    f << "#!/bin/sh\n" << body << "\n";
    f.close();
    std::filesystem::permissions(dir_ + "/podnetd", std::filesystem::perms::owner_all);
  }
  CtlRun fake_ctl(const std::string& args) const {
    CtlRun r;
    r.rc = sh(fmt::format("{}/podnetctl --lab {} {}", dir_, lab_, args), &r.out);
    return r;
  }
  std::string dir_;
};

TEST_F(FakeAgentTest, NodeNeverReadyTimesOutNamingNodeAndLog) {
  fake_podnetd("echo \"fake podnetd: never ready\"; exec sleep 60");
  auto up = fake_ctl("lab up --nodes 2 --timeout 1");
  EXPECT_NE(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("node lxb001 not ready after 1s"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("fake podnetd: never ready"), std::string::npos) << up.out;
  expect_nothing_left();
}

TEST_F(FakeAgentTest, AgentExitingIsReportedAtOnce) {
  fake_podnetd("echo \"fake podnetd: bad flags\" >&2; exit 2");
  auto up = fake_ctl("lab up --nodes 2 --timeout 20");
  EXPECT_NE(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("exited before the node was ready"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("fake podnetd: bad flags"), std::string::npos) << up.out;
  expect_nothing_left();
}

// vxlan with direct routing: the lab's nodes share one subnet, so every peer is routed
// through its underlay address and the VTEP carries nothing.
TEST_F(LabTest, UpVxlanDirectRouting) {
  auto up = ctl("lab up --nodes 2 --direct-routing");
  ASSERT_EQ(up.rc, 0) << up.out;
  EXPECT_NE(up.out.find("backend vxlan (direct routing)"), std::string::npos) << up.out;
  auto status = ctl("lab status");
  EXPECT_NE(status.out.find("(direct routing)"), std::string::npos) << status.out;
  auto rows = lines_of(ctl("get nodes").out);
  ASSERT_EQ(rows.size(), 3u);
  auto route = ctl("exec --node lxb002 -- ip -4 route show " + words_of(rows[1])[2]);
  EXPECT_NE(route.out.find("via 10.1.1.15 dev eth0"), std::string::npos) << route.out;
  auto fdb = ctl("exec --node lxb002 -- bridge fdb show dev podnet.1");
  EXPECT_EQ(fdb.out.find("dst 10.1.1.15"), std::string::npos) << fdb.out;
  auto down = ctl("lab down");
  ASSERT_EQ(down.rc, 0) << down.out;
  expect_nothing_left();
}

TEST_F(LabTest, BadArguments) {
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {"lab up --nodes 0", "--nodes"},
           {"lab up --nodes 65", "--nodes"},
           {"lab up --store mysql", "--store"},
           {"lab up --backend udp", "--backend"},
           {"lab up --backend host-gw --direct-routing", "--direct-routing"},
           {"lab up --mode routed", "--mode"}}) {
    auto r = ctl(args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << ": " << r.out;
    EXPECT_EQ(lines_of(r.out).size(), 1u) << r.out;
  }
  expect_nothing_left();
}

}  // namespace
}  // namespace podnet::lab
