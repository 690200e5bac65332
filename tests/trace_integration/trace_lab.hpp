#pragma once
// A real 2-node lab for podnetctl trace tests: `lab up` (a backend, a pod wiring mode), a
// 3-replica deployment web exposed as a NodePort Service and a 1-replica deployment victim for
// the tests that break a pod; trace run through the podnetctl binary as a user runs it.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

using namespace std::chrono_literals;

struct PodInfo {
  std::string name, ip, node;
};

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One running lab: `lab up`, a 3-replica deployment web exposed as a NodePort Service, and a
// 1-replica deployment victim for the tests that break a pod.
class Lab {
 public:
  // `prefix` names the lab (a unique suffix is added); mode: ptp or bridge (podnetd --mode).
  Lab(const std::string& backend, const std::string& prefix, const std::string& mode = "ptp") {
    ctl_ = build_path("apps/podnetctl/podnetctl");
    auto p = unique_prefix(prefix);
    name_ = p.substr(0, p.size() - 1);
    up_ = true;
    std::string out;
    if (ctl(fmt::format("lab up --nodes 2 --backend {} --mode {}", backend, mode), &out) != 0) {
      error_ = "lab up: " + out;
      return;
    }
    for (const auto& [app, n] : {std::pair{"web", 3}, {"victim", 1}})
      if (ctl(fmt::format("create deployment {} --replicas {} --timeout 90", app, n), &out) != 0) {
        error_ = "create deployment: " + out;
        return;
      }
    if (ctl("expose deployment web --port 80 --type NodePort", &out) != 0) {
      error_ = "expose: " + out;
      return;
    }
    if (!wait_ready()) error_ = "lab " + name_ + " did not get ready: " + error_;
  }
  ~Lab() {
    if (up_) {
      std::string out;
      if (ctl("lab down", &out) != 0) ADD_FAILURE() << "lab down: " << out;
    }
  }

  int ctl(const std::string& args, std::string* out = nullptr) const {
    return sh(fmt::format("{} --lab {} {} 2>&1", ctl_, name_, args), out);
  }
  // `trace ARGS -o json`: its exit status and the document.
  int trace(const std::string& args, nlohmann::json* j, std::string* text = nullptr) const {
    std::string out;
    int rc = sh(fmt::format("{} --lab {} trace {} -o json 2>/dev/null", ctl_, name_, args), &out);
    *j = nlohmann::json::parse(out, nullptr, false);
    if (text) *text = out;
    return rc;
  }
  std::string netns(const std::string& suffix) const { return name_ + "-" + suffix; }

  const std::string& error() const { return error_; }
  std::vector<PodInfo> pods(const std::string& app) const {
    std::vector<PodInfo> out;
    for (const auto& p : pods_)
      if (p.second == app) out.push_back(p.first);
    return out;
  }
  int node_port = 0;
  std::string cluster_ip;

 private:
  bool wait_ready() {
    using Clock = std::chrono::steady_clock;
    for (auto end = Clock::now() + 120s; Clock::now() < end; std::this_thread::sleep_for(200ms)) {
      std::string out;
      if (ctl("get pods -o json", &out) != 0) continue;
      auto j = nlohmann::json::parse(out, nullptr, false);
      if (!j.is_object() || !j.contains("items")) continue;
      pods_.clear();
      for (const auto& item : j["items"]) {
        auto p = cluster::pod_from_json(item);
        if (p && p->ready && p->podIP && p->labels.contains("app"))
          pods_.push_back({{p->name, p->podIP->str(), p->node}, p->labels.at("app")});
      }
      if (pods_.size() != 4) continue;
      // The Service as podnetd programs it on both nodes (inspect exits 1 while elements are
      // missing), and both nodes' routes to each other.
      if (ctl("inspect service web", &out) != 0) continue;
      if (ctl("get svc web -o json", &out) != 0) continue;
      auto svc = nlohmann::json::parse(out, nullptr, false);
      if (!svc.is_object()) continue;
      cluster_ip = svc["spec"].value("clusterIP", "");
      node_port = svc["spec"]["ports"][0].value("nodePort", 0);
      bool routes = true;
      for (const auto& n : {"lxb001", "lxb002"}) {
        std::string r;
        sh(fmt::format("ip -n {} route show proto 80", netns(n)), &r);
        routes = routes && !trim(r).empty();
      }
      if (routes && node_port) return true;
    }
    error_ = "pods, service elements or routes missing";
    return false;
  }

  std::string ctl_, name_, error_;
  bool up_ = false;
  std::vector<std::pair<PodInfo, std::string>> pods_;
};

inline std::string steps(const nlohmann::json& j) {
  std::string s;
  for (const auto& h : j["predicted"]["hops"])
    s += (s.empty() ? "" : " ") + h["step"].get<std::string>();
  return s;
}
inline const nlohmann::json& verdict(const nlohmann::json& j) {
  return j["predicted"]["verdict"];
}
// The real probe's verdict: delivered or not.
inline bool probed(const nlohmann::json& j) {
  return j.contains("probe") && j["probe"]["verdict"].value("delivered", false);
}

// Two web pods on one node and a web pod on the other node.
struct Placement {
  PodInfo a, b, far;
};
inline std::optional<Placement> place(const std::vector<PodInfo>& pods) {
  for (const auto& a : pods)
    for (const auto& b : pods)
      if (a.name != b.name && a.node == b.node)
        for (const auto& c : pods)
          if (c.node != a.node) return Placement{a, b, c};
  return std::nullopt;
}

// A test on a shared lab: skipped without root, failed when the lab did not come up; places
// the web pods (p_).
class LabTest : public ::testing::Test {
 protected:
  void check_lab(Lab* lab) {
    if (!have_root()) GTEST_SKIP() << "needs root";
    ASSERT_NE(lab, nullptr);
    ASSERT_TRUE(lab->error().empty()) << lab->error();
    auto pl = place(lab->pods("web"));
    ASSERT_TRUE(pl) << "3 web pods on 2 nodes: two share one";
    p_ = *pl;
    on_ = lab;
  }
  Placement p_;
  Lab* on_ = nullptr;  // the suite's lab, for helpers of the base
};

// The labs a suite shares: backend, name prefix, pod wiring mode.
struct VxlanLab {
  static constexpr const char *backend = "vxlan", *prefix = "trv", *mode = "ptp";
};
struct HostGwLab {
  static constexpr const char *backend = "host-gw", *prefix = "trh", *mode = "ptp";
};
struct VxlanBridgeLab {
  static constexpr const char *backend = "vxlan", *prefix = "tbv", *mode = "bridge";
};
struct HostGwBridgeLab {
  static constexpr const char *backend = "host-gw", *prefix = "tbh", *mode = "bridge";
};

// A suite of Base tests on one lab of Kind, brought up before its first test and taken down
// after its last (a process running one test of it makes one of its own).
template <typename Base, typename Kind>
class OnLab : public Base {
 protected:
  static void SetUpTestSuite() {
    if (have_root()) lab_ = new Lab(Kind::backend, Kind::prefix, Kind::mode);
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override { this->check_lab(lab_); }
  static inline Lab* lab_ = nullptr;
};

}  // namespace podnet::testing
