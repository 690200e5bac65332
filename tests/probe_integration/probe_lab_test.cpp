// The trace probe through a real 2-node podnet lab (VXLAN): pod -> pod across nodes, pod ->
// outside (masqueraded by the node), and a drop rule in the far node reported there. One lab
// serves the suite; the test that breaks the path puts it back.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/probe/probe.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::probe {
namespace {

using namespace std::chrono_literals;

class Lab {
 public:
  Lab() {
    ctl_ = testing::build_path("apps/podnetctl/podnetctl");
    auto p = testing::unique_prefix("prl");
    name_ = p.substr(0, p.size() - 1);
    up_ = true;
    std::string out;
    if (ctl("lab up --nodes 2 --backend vxlan", &out) != 0) {
      error_ = "lab up: " + out;
      return;
    }
    if (ctl("create deployment web --replicas 4 --timeout 90", &out) != 0) {
      error_ = "create deployment: " + out;
      return;
    }
    for (auto end = std::chrono::steady_clock::now() + 120s;
         std::chrono::steady_clock::now() < end && pods_.size() < 4;
         std::this_thread::sleep_for(200ms)) {
      pods_.clear();
      if (ctl("get pods -o json", &out) != 0) continue;
      auto j = nlohmann::json::parse(out, nullptr, false);
      if (!j.is_object() || !j.contains("items")) continue;
      for (const auto& item : j["items"])
        if (auto pod = cluster::pod_from_json(item); pod && pod->ready && pod->podIP)
          pods_.push_back(*pod);
    }
    if (pods_.size() < 4) error_ = "pods not ready: " + out;
  }
  ~Lab() {
    std::string out;
    if (up_ && ctl("lab down", &out) != 0) ADD_FAILURE() << "lab down: " << out;
  }
  int ctl(const std::string& args, std::string* out = nullptr) const {
    return testing::sh(fmt::format("{} --lab {} {}", ctl_, name_, args), out);
  }
  std::string netns(const std::string& suffix) const { return name_ + "-" + suffix; }
  const std::string& error() const { return error_; }
  // `podnetctl trace ARGS -o json`: exit status, the document.
  int trace(const std::string& args, nlohmann::json* j) const {
    std::string out;
    int rc = testing::sh(fmt::format("{} --lab {} trace {} -o json 2>/dev/null", ctl_, name_, args),
                         &out);
    *j = nlohmann::json::parse(out, nullptr, false);
    return rc;
  }
  // `podnetctl trace FIRST -o json` and, 300 ms later, `trace SECOND -o json` while the first
  // still runs: their exit statuses, documents, and which one ended last.
  struct Both {
    int rc_first = -1, rc_second = -1;
    nlohmann::json first, second;
    bool second_ended_last = false;
  };
  Both trace_overlapping(const std::string& first, const std::string& second) const {
    const std::string base = "/tmp/" + name_ + "-overlap";
    auto cmd = [&](const std::string& args, const char* tag) {
      return fmt::format("{0} --lab {1} trace {2} -o json 2>/dev/null > {3}.{4}; "
                         "echo $? > {3}.rc{4}; date +%s%N > {3}.end{4}",
                         ctl_, name_, args, base, tag);
    };
    testing::sh(fmt::format("({}) & sleep 0.3; {}; wait", cmd(first, "1"), cmd(second, "2")));
    auto read = [&](const std::string& suffix) {
      std::string text;
      testing::sh("cat " + base + "." + suffix, &text);
      return text;
    };
    Both b;
    b.first = nlohmann::json::parse(read("1"), nullptr, false);
    b.second = nlohmann::json::parse(read("2"), nullptr, false);
    b.rc_first = std::atoi(read("rc1").c_str());
    b.rc_second = std::atoi(read("rc2").c_str());
    b.second_ended_last = std::atoll(read("end2").c_str()) > std::atoll(read("end1").c_str());
    testing::sh(fmt::format("rm -f {0}.1 {0}.2 {0}.rc1 {0}.rc2 {0}.end1 {0}.end2", base));
    return b;
  }
  // A pod on `node`, and one on another node.
  std::pair<const cluster::Pod*, const cluster::Pod*> across() const {
    for (const auto& a : pods_)
      for (const auto& b : pods_)
        if (a.node != b.node) return {&a, &b};
    return {nullptr, nullptr};
  }

 private:
  std::string ctl_, name_, error_;
  bool up_ = false;
  std::vector<cluster::Pod> pods_;
};

class ProbeLabTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::have_root()) lab_ = new Lab();
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!testing::have_root()) {
      if (std::getenv("CI")) FAIL() << "integration tests need root under CI";
      GTEST_SKIP() << "needs root";
    }
    ASSERT_TRUE(lab_->error().empty()) << lab_->error();
    std::tie(from_, to_) = lab_->across();
    ASSERT_TRUE(from_ && to_) << "no two pods on different nodes";
  }
  ProbeNamespace pod_ns(const cluster::Pod& p) {
    return {"pod/" + p.name, lab_->netns("pod-" + p.name)};
  }
  ProbeNamespace node_ns(const std::string& node) { return {"node/" + node, lab_->netns(node)}; }
  void expect_no_trace_tables() {
    std::string out;
    testing::sh("for n in $(ip netns list | cut -d' ' -f1 | grep " + lab_->netns("") +
                    "); do ip netns exec $n nft list tables; done",
                &out);
    EXPECT_EQ(out.find("podnet-trace"), std::string::npos) << out;
  }

  static Lab* lab_;
  const cluster::Pod* from_ = nullptr;
  const cluster::Pod* to_ = nullptr;
};
Lab* ProbeLabTest::lab_ = nullptr;

TEST_F(ProbeLabTest, PodToPodAcrossNodes) {
  ProbeSpec s;
  s.source = pod_ns(*from_);
  s.destination = to_->podIP->str();
  s.port = 80;
  s.namespaces = {pod_ns(*from_),
                  node_ns(from_->node),
                  {"switch", lab_->netns("sw")},
                  node_ns(to_->node),
                  pod_ns(*to_)};
  auto r = run_probe(s);
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::syn_ack);
  EXPECT_EQ(r->verdict.where_ns, "pod/" + to_->name);
  std::vector<std::string> crossings;
  for (const auto& e : r->events)
    if (e.direction == Direction::request && (crossings.empty() || crossings.back() != e.ns))
      crossings.push_back(e.ns);
  // The switch carries the packet inside VXLAN: no event there for the probe's own tuple.
  EXPECT_EQ(crossings, (std::vector<std::string>{"pod/" + from_->name, "node/" + from_->node,
                                                 "node/" + to_->node, "pod/" + to_->name}));
  expect_no_trace_tables();
}

TEST_F(ProbeLabTest, PodToOutsideIsMasqueraded) {
  ProbeSpec s;
  s.source = pod_ns(*from_);
  s.destination = "203.0.113.1";
  s.protocol = Protocol::icmp;
  s.namespaces = {pod_ns(*from_),
                  node_ns(from_->node),
                  {"switch", lab_->netns("sw")},
                  {"ext", lab_->netns("ext")}};
  auto r = run_probe(s);
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::echo_reply);
  EXPECT_EQ(r->verdict.where_ns, "ext");
  bool masquerade_rule = false;
  std::string leaves_as, arrives_from;
  for (const auto& e : r->events) {
    if (e.direction != Direction::request) continue;
    if (e.ns == "node/" + from_->node && e.rule_text.find("masquerade") != std::string::npos)
      masquerade_rule = true;
    if (e.ns == "node/" + from_->node && e.hook == Hook::postrouting) leaves_as = e.packet.src;
    if (e.ns == "ext" && e.hook == Hook::input) arrives_from = e.packet.src;
  }
  EXPECT_TRUE(masquerade_rule);
  EXPECT_NE(leaves_as, from_->podIP->str());  // the last postrouting event: after masquerade
  EXPECT_EQ(arrives_from, leaves_as);
  expect_no_trace_tables();
}

TEST_F(ProbeLabTest, DropInTheFarNodeIsNamed) {
  std::string out;
  auto far = lab_->netns(to_->node);
  ASSERT_EQ(testing::sh(fmt::format("ip netns exec {} nft 'add table inet prbbreak; add chain inet "
                                    "prbbreak forward_filter {{ type filter hook forward priority "
                                    "0; }}; add rule inet prbbreak forward_filter ip daddr {} tcp "
                                    "dport 80 drop'",
                                    far, to_->podIP->str()),
                        &out),
            0)
      << out;
  ProbeSpec s;
  s.source = pod_ns(*from_);
  s.destination = to_->podIP->str();
  s.port = 80;
  s.namespaces = {pod_ns(*from_), node_ns(from_->node), node_ns(to_->node), pod_ns(*to_)};
  auto r = run_probe(s);
  testing::sh(fmt::format("ip netns exec {} nft delete table inet prbbreak", far));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_FALSE(r->verdict.delivered);
  ASSERT_TRUE(r->verdict.dropped_by);
  EXPECT_EQ(r->verdict.where_ns, "node/" + to_->node);
  EXPECT_EQ(r->verdict.where_hook, Hook::forward);
  EXPECT_EQ(r->verdict.dropped_by->table, "prbbreak");
  expect_no_trace_tables();
}

TEST_F(ProbeLabTest, PodnetctlTraceShowsTheProbe) {
  nlohmann::json j;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --port 80", from_->name, to_->name), &j), 0) << j;
  ASSERT_TRUE(j.contains("probe")) << j;
  EXPECT_EQ(j["probe"]["verdict"]["delivered"], true) << j["probe"];
  EXPECT_EQ(j["probe"]["verdict"]["namespace"], "pod/" + to_->name) << j["probe"];
  EXPECT_EQ(j["probe"]["answer"]["kind"], "syn-ack");
  // A drop rule in the far node: the probe names it and the command exits 1.
  auto far = lab_->netns(to_->node);
  std::string out;
  ASSERT_EQ(
      testing::sh(fmt::format("ip netns exec {} nft 'add table inet prbbreak; add chain inet "
                              "prbbreak forward_filter {{ type filter hook forward priority "
                              "0; }}; add rule inet prbbreak forward_filter ip daddr {} drop'",
                              far, to_->podIP->str()),
                  &out),
      0)
      << out;
  int rc = lab_->trace(fmt::format("{} {} --port 80", from_->name, to_->name), &j);
  testing::sh(fmt::format("ip netns exec {} nft delete table inet prbbreak", far));
  EXPECT_EQ(rc, 1) << j;
  EXPECT_EQ(j["probe"]["verdict"]["delivered"], false) << j["probe"];
  EXPECT_EQ(j["probe"]["verdict"]["droppedBy"]["table"], "prbbreak") << j["probe"];
  expect_no_trace_tables();
}

TEST_F(ProbeLabTest, ASecondTraceWaitsForTheFirst) {
  // The first probe goes to an underlay address nobody has (no answer: it runs its 2 s); the
  // second starts meanwhile. Probes run one at a time per machine, so the second neither
  // replaces the first's trace tables nor removes them under it: it ends last, and both
  // reports are whole.
  auto both = lab_->trace_overlapping(fmt::format("{} 10.1.1.99 --port 80", from_->name),
                                      fmt::format("{} {} --port 80", from_->name, to_->name));
  EXPECT_TRUE(both.second_ended_last);
  EXPECT_EQ(both.rc_first, 1) << both.first;
  EXPECT_EQ(both.rc_second, 0) << both.second;
  ASSERT_TRUE(both.first.contains("probe")) << both.first;
  ASSERT_TRUE(both.second.contains("probe")) << both.second;
  EXPECT_EQ(both.second["probe"]["verdict"]["delivered"], true) << both.second["probe"];
  EXPECT_EQ(both.second["probe"]["answer"]["kind"], "syn-ack") << both.second["probe"];
  // The first probe's own packet was traced in its pod and its node.
  std::set<std::string> seen;
  for (const auto& e : both.first["probe"]["events"]) seen.insert(e.value("namespace", ""));
  EXPECT_TRUE(seen.count("pod/" + from_->name)) << both.first["probe"];
  EXPECT_TRUE(seen.count("node/" + from_->node)) << both.first["probe"];
  EXPECT_NE(both.first["probe"]["sourcePort"], both.second["probe"]["sourcePort"]);
  expect_no_trace_tables();
}

}  // namespace
}  // namespace podnet::probe
