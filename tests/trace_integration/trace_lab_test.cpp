// podnetctl trace on real 2-node labs: the predicted path of pod -> pod (same node, across
// nodes by VXLAN and by host-gw routes), node -> pod, pod -> outside (masqueraded), outside ->
// NodePort and pod -> ClusterIP, and broken paths (a peer route deleted by hand, a pod's veth
// set down) reported at the hop that broke. One lab per backend serves all tests of its suite;
// tests that break something put it back.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct PodInfo {
  std::string name, ip, node;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One running lab: `lab up`, a 3-replica deployment web exposed as a NodePort Service, and a
// 1-replica deployment victim for the tests that break a pod.
class Lab {
 public:
  explicit Lab(const std::string& backend) {
    ctl_ = build_path("apps/podnetctl/podnetctl");
    auto p = unique_prefix(backend == "vxlan" ? "trv" : "trh");
    name_ = p.substr(0, p.size() - 1);
    up_ = true;
    std::string out;
    if (ctl("lab up --nodes 2 --backend " + backend, &out) != 0) {
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

std::string steps(const nlohmann::json& j) {
  std::string s;
  for (const auto& h : j["predicted"]["hops"])
    s += (s.empty() ? "" : " ") + h["step"].get<std::string>();
  return s;
}
const nlohmann::json& verdict(const nlohmann::json& j) {
  return j["predicted"]["verdict"];
}
// The real probe's verdict: delivered or not.
bool probed(const nlohmann::json& j) {
  return j.contains("probe") && j["probe"]["verdict"].value("delivered", false);
}

// Two web pods on one node and a web pod on the other node.
struct Placement {
  PodInfo a, b, far;
};
std::optional<Placement> place(const std::vector<PodInfo>& pods) {
  for (const auto& a : pods)
    for (const auto& b : pods)
      if (a.name != b.name && a.node == b.node)
        for (const auto& c : pods)
          if (c.node != a.node) return Placement{a, b, c};
  return std::nullopt;
}

class TraceTest : public ::testing::Test {
 protected:
  static void SetUpSuite(Lab*& lab, const std::string& backend) {
    if (!have_root()) return;
    lab = new Lab(backend);
  }
  void check_lab(Lab* lab) {
    if (!have_root()) GTEST_SKIP() << "needs root";
    ASSERT_NE(lab, nullptr);
    ASSERT_TRUE(lab->error().empty()) << lab->error();
    auto pl = place(lab->pods("web"));
    ASSERT_TRUE(pl) << "3 web pods on 2 nodes: two share one";
    p_ = *pl;
  }
  void pod_to_pod_same_node(Lab& lab) {
    nlohmann::json j;
    std::string text;
    ASSERT_EQ(lab.trace(fmt::format("{} {} --port 80", p_.a.name, p_.b.name), &j, &text), 0)
        << text;
    EXPECT_EQ(steps(j), "route veth route veth deliver") << text;
    EXPECT_EQ(verdict(j)["where"], "pod/" + p_.b.name);
    EXPECT_TRUE(probed(j)) << text;
    EXPECT_EQ(j["predicted"]["hops"][2]["where"], "node/" + p_.a.node);
    EXPECT_EQ(j["predicted"]["hops"][3]["what"].get<std::string>().find(
                  "-> eth0 in pod/" + p_.b.name) != std::string::npos,
              true)
        << text;
    // The human form: one line per hop and the verdict.
    std::string human;
    ASSERT_EQ(lab.ctl(fmt::format("trace {} {} --port 80", p_.a.name, p_.b.name), &human), 0)
        << human;
    EXPECT_NE(human.find("predicted: delivered to " + p_.b.ip + ":80 in pod/" + p_.b.name),
              std::string::npos)
        << human;
  }

  Placement p_;
};

// ---- VXLAN lab

class TraceVxlan : public TraceTest {
 protected:
  static void SetUpTestSuite() { SetUpSuite(lab_, "vxlan"); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override { check_lab(lab_); }
  static Lab* lab_;
};
Lab* TraceVxlan::lab_ = nullptr;

TEST_F(TraceVxlan, PodToPodSameNode) {
  pod_to_pod_same_node(*lab_);
}

TEST_F(TraceVxlan, PodToPodAcrossNodes) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.far.name), &j, &text), 0)
      << text;
  EXPECT_EQ(steps(j), "route veth route vxlan underlay vxlan route veth deliver") << text;
  const auto& hops = j["predicted"]["hops"];
  EXPECT_NE(hops[2]["decidedBy"].get<std::string>().find("dev podnet.1 proto 80 onlink"),
            std::string::npos)
      << text;
  EXPECT_NE(hops[3]["decidedBy"].get<std::string>().find("; fdb "), std::string::npos) << text;
  EXPECT_EQ(hops[5]["where"], "node/" + p_.far.node);
  EXPECT_EQ(verdict(j)["where"], "pod/" + p_.far.name);
  EXPECT_EQ(j["predicted"]["lastSeenAs"]["src"], p_.a.ip);
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(TraceVxlan, NodeToPod) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {}", p_.a.node, p_.far.name), &j, &text), 0) << text;
  EXPECT_EQ(j["protocol"], "icmp");
  EXPECT_EQ(steps(j), "route vxlan underlay vxlan route veth deliver") << text;
  EXPECT_EQ(verdict(j)["where"], "pod/" + p_.far.name);
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(TraceVxlan, PodToOutsideIsMasqueraded) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} ext", p_.a.name), &j, &text), 0) << text;
  EXPECT_EQ(steps(j), "route veth route snat underlay deliver") << text;
  const std::string masq = j["predicted"]["hops"][3]["decidedBy"];
  EXPECT_TRUE(masq.starts_with("ip podnet postrouting: ip saddr 192.168.")) << text;
  EXPECT_TRUE(masq.ends_with(" masquerade")) << text;
  EXPECT_EQ(verdict(j)["where"], "ext");
  const std::string node_ip = p_.a.node == "lxb001" ? "10.1.1.15" : "10.1.1.16";
  EXPECT_EQ(j["predicted"]["lastSeenAs"]["src"], node_ip) << text;
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(TraceVxlan, OutsideToNodePort) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("ext lxb001 --port {}", lab_->node_port), &j, &text), 0)
      << text;
  ASSERT_GE(j["predicted"]["hops"].size(), 3u) << text;
  const auto& dnat = j["predicted"]["hops"][2];
  EXPECT_EQ(dnat["step"], "dnat") << text;
  EXPECT_EQ(dnat["where"], "node/lxb001");
  EXPECT_NE(dnat["decidedBy"].get<std::string>().find(
                fmt::format("svc-nodeports: tcp . {} : goto np-pick-3", lab_->node_port)),
            std::string::npos)
      << text;
  EXPECT_NE(dnat["what"].get<std::string>().find("service default/web (picks one of 3"),
            std::string::npos)
      << text;
  EXPECT_TRUE(verdict(j)["delivered"].get<bool>());
  EXPECT_TRUE(verdict(j)["where"].get<std::string>().starts_with("pod/web-")) << text;
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(TraceVxlan, PodToClusterIp) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} svc/web", p_.a.name), &j, &text), 0) << text;
  EXPECT_EQ(j["to"]["ip"], lab_->cluster_ip);
  EXPECT_EQ(j["port"], 80);
  const auto& dnat = j["predicted"]["hops"][2];
  EXPECT_EQ(dnat["step"], "dnat") << text;
  EXPECT_NE(dnat["decidedBy"].get<std::string>().find("service-ips: " + lab_->cluster_ip +
                                                      " . tcp . 80 : goto pick-3"),
            std::string::npos)
      << text;
  EXPECT_TRUE(verdict(j)["delivered"].get<bool>()) << text;
  EXPECT_TRUE(verdict(j)["where"].get<std::string>().starts_with("pod/web-")) << text;
  if (verdict(j)["where"] != "pod/" + p_.a.name)  // else a hairpin: masqueraded to itself
    EXPECT_EQ(j["predicted"]["lastSeenAs"]["src"], p_.a.ip);  // a pod client keeps its address
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(TraceVxlan, PredictionOnlyAndNothingLeftBehind) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --no-probe", p_.a.name, p_.far.name), &j, &text), 0)
      << text;
  EXPECT_FALSE(j.contains("probe")) << text;
  // The probes of the other tests removed their trace tables.
  for (const auto& n : {"lxb001", "lxb002", "ext"}) {
    std::string tables;
    sh(fmt::format("ip netns exec {} nft list tables", lab_->netns(n)), &tables);
    EXPECT_EQ(tables.find("podnet-trace"), std::string::npos) << n << ": " << tables;
  }
}

TEST_F(TraceVxlan, BadArgumentsExit2) {
  std::string out;
  EXPECT_EQ(lab_->ctl("trace nosuchpod ext", &out), 2) << out;
  EXPECT_NE(out.find("error: FROM: \"nosuchpod\" is no pod"), std::string::npos) << out;
  EXPECT_EQ(lab_->ctl(fmt::format("trace {} ext --proto sctp", p_.a.name), &out), 2) << out;
  EXPECT_EQ(lab_->ctl(fmt::format("trace svc/web {}", p_.a.name), &out), 2) << out;
  EXPECT_EQ(lab_->ctl(fmt::format("trace {} {} --proto tcp", p_.a.name, p_.b.name), &out), 2)
      << out;
  EXPECT_EQ(lab_->ctl(fmt::format("trace {} ext -o table", p_.a.name), &out), 2) << out;
}

// -o yaml is the -o json document in YAML (kubectl's pair).
TEST_F(TraceVxlan, YamlOutput) {
  std::string out;
  ASSERT_EQ(lab_->ctl(fmt::format("trace {} ext --no-probe -o yaml", p_.a.name), &out), 0) << out;
  EXPECT_NE(out.find("protocol: icmp\n"), std::string::npos) << out;
  EXPECT_NE(out.find("predicted:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("step: route\n"), std::string::npos) << out;
  EXPECT_EQ(out.find('{'), std::string::npos) << out;
}

TEST_F(TraceVxlan, DeletedPeerRouteIsReportedAtTheNode) {
  const std::string node_ns = lab_->netns(p_.a.node);
  std::string routes;
  ASSERT_EQ(sh(fmt::format("ip -n {} route show proto 80", node_ns), &routes), 0);
  const std::string route = trim(routes);  // the one peer's route
  ASSERT_EQ(route.find('\n'), std::string::npos) << routes;
  const std::string subnet = route.substr(0, route.find(' '));
  nlohmann::json j;
  std::string text;
  int rc = -1;
  // podnetd repairs the route on its next full reconcile: trace until one run saw it gone.
  for (int attempt = 0; attempt < 5; ++attempt) {
    sh(fmt::format("ip -n {} route del {}", node_ns, subnet));
    rc = lab_->trace(fmt::format("{} {}", p_.a.name, p_.far.name), &j, &text);
    std::string now;
    sh(fmt::format("ip -n {} route show {}", node_ns, subnet), &now);
    if (trim(now).empty()) break;
  }
  sh(fmt::format("ip -n {} route replace {}", node_ns, route));
  EXPECT_EQ(rc, 1) << text;
  EXPECT_EQ(steps(j), "route veth drop") << text;
  EXPECT_EQ(verdict(j)["hop"], 3);
  EXPECT_EQ(verdict(j)["where"], "node/" + p_.a.node);
  EXPECT_TRUE(j.contains("probe")) << text;
  EXPECT_FALSE(probed(j)) << text;
  EXPECT_NE(verdict(j)["reason"].get<std::string>().find(
                fmt::format("no route for node/{}'s pod subnet {}", p_.far.node, subnet)),
            std::string::npos)
      << text;
}

TEST_F(TraceVxlan, PodVethDownIsReportedAtItsNode) {
  auto victims = lab_->pods("victim");
  ASSERT_EQ(victims.size(), 1u);
  const PodInfo v = victims[0];
  const std::string node_ns = lab_->netns(v.node);
  // The host end of the victim's veth: the link whose /32 route leads to it.
  std::string r;
  ASSERT_EQ(sh(fmt::format("ip -n {} route show {}/32", node_ns, v.ip), &r), 0);
  r = trim(r);
  const auto dev_at = r.find(" dev ");
  ASSERT_NE(dev_at, std::string::npos) << r;
  std::string dev = r.substr(dev_at + 5);
  dev = dev.substr(0, dev.find(' '));
  ASSERT_EQ(sh(fmt::format("ip -n {} link set {} down", node_ns, dev)), 0);
  // From a web pod on the victim's node and from the other node.
  std::string from_same, from_far;
  for (const auto& p : lab_->pods("web")) (p.node == v.node ? from_same : from_far) = p.name;
  nlohmann::json j;
  std::string text;
  const int rc_same =
      from_same.empty() ? -1 : lab_->trace(fmt::format("{} {}", from_same, v.name), &j, &text);
  nlohmann::json j_far;
  std::string text_far;
  const int rc_far = lab_->trace(fmt::format("{} {}", from_far, v.name), &j_far, &text_far);
  sh(fmt::format("ip -n {} link set {} up", node_ns, dev));
  sh(fmt::format("ip -n {} route replace {}", node_ns, r));
  const std::string why = fmt::format("pod/{}'s host veth {} is DOWN", v.name, dev);
  if (!from_same.empty()) {
    EXPECT_EQ(rc_same, 1) << text;
    EXPECT_EQ(steps(j), "route veth drop") << text;
    EXPECT_EQ(verdict(j)["where"], "node/" + v.node);
    EXPECT_NE(verdict(j)["reason"].get<std::string>().find(why), std::string::npos) << text;
  }
  EXPECT_EQ(rc_far, 1) << text_far;
  EXPECT_TRUE(j_far.contains("probe")) << text_far;
  EXPECT_FALSE(probed(j_far)) << text_far;
  EXPECT_EQ(steps(j_far), "route veth route vxlan underlay vxlan drop") << text_far;
  EXPECT_EQ(verdict(j_far)["where"], "node/" + v.node);
  EXPECT_NE(verdict(j_far)["reason"].get<std::string>().find(why), std::string::npos) << text_far;
}

// ---- host-gw lab

class TraceHostGw : public TraceTest {
 protected:
  static void SetUpTestSuite() { SetUpSuite(lab_, "host-gw"); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override { check_lab(lab_); }
  static Lab* lab_;
};
Lab* TraceHostGw::lab_ = nullptr;

TEST_F(TraceHostGw, PodToPodSameNode) {
  pod_to_pod_same_node(*lab_);
}

TEST_F(TraceHostGw, PodToPodAcrossNodes) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.far.name), &j, &text), 0)
      << text;
  EXPECT_EQ(steps(j), "route veth route underlay route veth deliver") << text;
  const std::string far_ip = p_.far.node == "lxb001" ? "10.1.1.15" : "10.1.1.16";
  EXPECT_NE(j["predicted"]["hops"][2]["decidedBy"].get<std::string>().find("via " + far_ip +
                                                                           " dev eth0 proto 80"),
            std::string::npos)
      << text;
  EXPECT_EQ(verdict(j)["where"], "pod/" + p_.far.name);
}

TEST_F(TraceHostGw, NodeToPod) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {}", p_.a.node, p_.far.name), &j, &text), 0) << text;
  EXPECT_EQ(steps(j), "route underlay route veth deliver") << text;
}

}  // namespace
}  // namespace podnet::testing
