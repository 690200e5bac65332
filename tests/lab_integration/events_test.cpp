// Events, describe, -o yaml|name and -w in a real lab through the podnetctl binary: the lab
// kubelet, controller and podnetd record what happened; `get events` and `describe` show it;
// `get pods -w` prints a line per change and ends with exit 0 on SIGTERM (sqlite and etcd).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lab_cli.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::lab {
namespace {

using namespace std::chrono_literals;
using podnet::testing::build_path;
using podnet::testing::LabTest;
using podnet::testing::lines_of;
using podnet::testing::sh;
using podnet::testing::words_of;
using Clock = std::chrono::steady_clock;

// Polls `cond` until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& cond, std::chrono::seconds timeout = 30s) {
  for (auto end = Clock::now() + timeout;; std::this_thread::sleep_for(200ms)) {
    if (cond()) return true;
    if (Clock::now() > end) return false;
  }
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// `podnetctl --lab LAB args...` as a child writing to a file, ended by signal.
class Child {
 public:
  Child(const std::string& lab, const std::vector<std::string>& args, std::string out)
      : out_(std::move(out)) {
    std::vector<std::string> argv = {build_path("apps/podnetctl/podnetctl"), "--lab", lab};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(out_.c_str());
  }
  std::string output() const { return slurp(out_); }
  // Sends `sig` and returns the exit status (-1 when it did not exit normally in 10 s).
  int stop(int sig) {
    ::kill(pid_, sig);
    int st = 0;
    for (auto end = Clock::now() + 10s; Clock::now() < end; std::this_thread::sleep_for(50ms))
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
    return -1;
  }
  bool started() const { return pid_ > 0; }

 private:
  std::string out_;
  pid_t pid_ = -1;
};

// Rows of `get events` (header skipped) as words.
std::vector<std::vector<std::string>> event_rows(const std::string& table) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : lines_of(table))
    if (!l.starts_with("LAST SEEN")) rows.push_back(words_of(l));
  return rows;
}

class EventsLabTest : public LabTest {
 protected:
  // The pods of deployment `d`, from get pods.
  std::vector<std::string> pods_of(const std::string& d) const {
    std::vector<std::string> out;
    for (const auto& r : table("get pods"))
      if (!r.empty() && r[0].starts_with(d + "-")) out.push_back(r[0]);
    return out;
  }
};

TEST_F(EventsLabTest, EventsDescribeYamlAndWatchOnSqlite) {
  auto up = ctl("lab up --nodes 2 --store sqlite --backend vxlan");
  ASSERT_EQ(up.rc, 0) << up.out;
  auto created = ctl("create deployment web --replicas 2");
  ASSERT_EQ(created.rc, 0) << created.out;
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 2u);
  const std::string pod = pods[0];

  // A pod's life as kubectl shows it, and podnetd's route to the other node.
  std::string events;
  auto has = [&](const std::string& reason, const std::string& object, const std::string& text) {
    for (const auto& r : event_rows(events)) {
      auto it = std::find(r.begin(), r.end(), reason);
      if (it == r.end() || it + 1 == r.end() || *(it + 1) != object) continue;
      std::string line;
      for (const auto& w : r) line += w + " ";
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  bool all = eventually([&] {
    auto r = ctl("get events");
    events = r.out;
    return r.rc == 0 && has("Scheduled", "pod/" + pod, "Successfully assigned default/" + pod) &&
           has("SandboxCreated", "pod/" + pod, "Created pod sandbox") &&
           has("AddedInterface", "pod/" + pod, "CNI ADD eth0 done in") &&
           has("AddedInterface", "pod/" + pod, "IP 192.168.") &&
           has("Started", "pod/" + pod, "Started container app") &&
           has("RouteAdded", "node/lxb001", "Route to node lxb002 added") &&
           has("LeaseAcquired", "node/lxb001", "Subnet 192.168.") &&
           has("ScalingReplicaSet", "deployment/web", "Scaled up deployment web to 2") &&
           has("SuccessfulCreate", "deployment/web", "Created pod: " + pod);
  });
  EXPECT_TRUE(all) << events;
  EXPECT_EQ(words_of(lines_of(events)[0]),
            (std::vector<std::string>{"LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}));

  // describe: kubectl's layout with the object's events at the end.
  auto dp = ctl("describe pod " + pod);
  ASSERT_EQ(dp.rc, 0) << dp.out;
  for (const char* want :
       {"Name:             ", "Node:             lxb00", "Status:           Running",
        "IP:               192.168.", "Controlled By:  Deployment/web", "Events:\n  Type    Reason",
        "Scheduled", "SandboxCreated", "AddedInterface", "Started"})
    EXPECT_NE(dp.out.find(want), std::string::npos) << want << "\n" << dp.out;
  EXPECT_EQ(dp.out.find("RouteAdded"), std::string::npos) << "only the pod's own events";
  auto dn = ctl("describe node lxb001");
  ASSERT_EQ(dn.rc, 0) << dn.out;
  for (const char* want :
       {"Name:               lxb001", "InternalIP:  10.1.1.", "PodCIDR:", "RouteAdded",
        "Route to node lxb002 added", "LeaseAcquired", "podnetd, lxb001"})
    EXPECT_NE(dn.out.find(want), std::string::npos) << want << "\n" << dn.out;
  auto dd = ctl("describe deployment web");
  ASSERT_EQ(dd.rc, 0) << dd.out;
  for (const char* want : {"Replicas:               2 desired | 2 updated | 2 total | 2 available",
                           "ScalingReplicaSet", "SuccessfulCreate", "deployment-controller"})
    EXPECT_NE(dd.out.find(want), std::string::npos) << want << "\n" << dd.out;
  auto missing = ctl("describe pod nosuchpod");
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.out.find("pods \"nosuchpod\" not found"), std::string::npos) << missing.out;

  // -o yaml and -o name wherever -o json exists.
  auto ey = ctl("get events -o yaml");
  ASSERT_EQ(ey.rc, 0) << ey.out;
  EXPECT_NE(ey.out.find("kind: List\n"), std::string::npos) << ey.out;
  EXPECT_NE(ey.out.find("  kind: Event\n"), std::string::npos) << ey.out;
  auto en = ctl("get events -o name");
  ASSERT_EQ(en.rc, 0);
  EXPECT_TRUE(en.out.starts_with("event/")) << en.out;
  auto ej = ctl("get events -A -o json");
  ASSERT_EQ(ej.rc, 0);
  EXPECT_FALSE(nlohmann::json::parse(ej.out)["items"].empty());
  auto ny = ctl("get nodes -o yaml");
  ASSERT_EQ(ny.rc, 0) << ny.out;
  EXPECT_NE(ny.out.find("  kind: Node\n"), std::string::npos) << ny.out;
  EXPECT_EQ(ctl("get nodes -o name").out, "node/lxb001\nnode/lxb002\n");
  auto py = ctl("get pods " + pod + " -o yaml");
  ASSERT_EQ(py.rc, 0) << py.out;
  EXPECT_NE(py.out.find("kind: Pod\n"), std::string::npos) << py.out;
  EXPECT_EQ(ctl("get deployments -o name").out, "deployment.apps/web\n");

  // get pods -w: the table, then a line per change; SIGTERM ends it with exit 0.
  Child watch(lab_, {"get", "pods", "-w"}, "/tmp/" + lab_ + "-watch.out");
  ASSERT_TRUE(watch.started());
  ASSERT_TRUE(eventually([&] { return watch.output().find(pod) != std::string::npos; }))
      << watch.output();
  ASSERT_EQ(ctl("scale deployment web --replicas 3").rc, 0);
  EXPECT_TRUE(eventually([&] {
    auto out = watch.output();
    for (const auto& l : lines_of(out)) {
      auto w = words_of(l);
      if (!w.empty() && w[0].starts_with("web-") && w[0] != pods[0] && w[0] != pods[1]) return true;
    }
    return false;
  })) << watch.output();
  ASSERT_EQ(ctl("delete pod " + pod).rc, 0);
  EXPECT_TRUE(eventually([&] {
    for (const auto& l : lines_of(watch.output())) {
      auto w = words_of(l);
      if (w.size() >= 3 && w[0] == pod && w[2] == "Terminating") return true;
    }
    return false;
  })) << watch.output();
  EXPECT_EQ(watch.stop(SIGTERM), 0) << watch.output();
  EXPECT_EQ(lines_of(watch.output())[0].substr(0, 4), "NAME");

  // The deployment's scaling and the kubelet's teardown are events too.
  EXPECT_TRUE(eventually([&] {
    auto r = ctl("get events");
    events = r.out;
    return has("ScalingReplicaSet", "deployment/web", "Scaled up deployment web from 2 to 3") &&
           has("RemovedInterface", "pod/" + pod, "CNI DEL eth0 done in");
  })) << events;

  // get nodes -w prints the table and ends on SIGINT with exit 0.
  Child nodes(lab_, {"get", "nodes", "-w"}, "/tmp/" + lab_ + "-nodes.out");
  ASSERT_TRUE(eventually([&] { return nodes.output().find("lxb002") != std::string::npos; }))
      << nodes.output();
  EXPECT_EQ(nodes.stop(SIGINT), 0) << nodes.output();

  // get svc -w: a Service created then deleted while it watches is a row each time (the
  // deletion prints the last row, as kubectl's watch); SIGTERM ends it with exit 0.
  Child svcs(lab_, {"get", "svc", "-w"}, "/tmp/" + lab_ + "-svc.out");
  ASSERT_TRUE(svcs.started());
  ASSERT_EQ(ctl("create service clusterip watched --tcp=80").rc, 0);
  auto watched_rows = [&] {
    size_t n = 0;
    for (const auto& l : lines_of(svcs.output())) n += l.starts_with("watched ");
    return n;
  };
  ASSERT_TRUE(eventually([&] { return watched_rows() >= 1; })) << svcs.output();
  ASSERT_EQ(ctl("delete service watched").rc, 0);
  EXPECT_TRUE(eventually([&] { return watched_rows() >= 2; })) << svcs.output();
  EXPECT_EQ(svcs.stop(SIGTERM), 0) << svcs.output();
  // A NAME that does not exist ends the watch at once, as kubectl's does.
  std::string out;
  EXPECT_EQ(sh(fmt::format("timeout 10 {} --lab {} get svc nope -w",
                           build_path("apps/podnetctl/podnetctl"), lab_),
               &out),
            1)
      << out;
  EXPECT_NE(out.find("Error from server (NotFound): services \"nope\" not found"),
            std::string::npos)
      << out;
}

TEST_F(EventsLabTest, EventsAndWatchOnEtcd) {
  if (sh("command -v etcd >/dev/null") != 0) GTEST_SKIP() << "etcd (etcd-server) not installed";
  auto up = ctl("lab up --nodes 2 --store etcd --backend host-gw");
  ASSERT_EQ(up.rc, 0) << up.out;
  ASSERT_EQ(ctl("create deployment web --replicas 1").rc, 0);
  auto pods = pods_of("web");
  ASSERT_EQ(pods.size(), 1u);
  std::string out;
  EXPECT_TRUE(eventually([&] {
    out = ctl("get events").out;
    return out.find("CNI ADD eth0 done in") != std::string::npos &&
           out.find("Route to node lxb002 added") != std::string::npos;
  })) << out;

  Child watch(lab_, {"get", "pods", "-w"}, "/tmp/" + lab_ + "-watch.out");
  ASSERT_TRUE(eventually([&] { return watch.output().find(pods[0]) != std::string::npos; }))
      << watch.output();
  ASSERT_EQ(ctl("delete pod " + pods[0]).rc, 0);
  EXPECT_TRUE(eventually([&] { return watch.output().find("Terminating") != std::string::npos; }))
      << watch.output();
  EXPECT_EQ(watch.stop(SIGTERM), 0) << watch.output();
  auto d = ctl("describe node lxb002");
  EXPECT_NE(d.out.find("Route to node lxb001 added"), std::string::npos) << d.out;
}

}  // namespace
}  // namespace podnet::lab
