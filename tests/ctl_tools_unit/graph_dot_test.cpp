#include <graphviz/cgraph.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "core/graph_dot.hpp"
#include "core/graph_render.hpp"

namespace podnet::ctl {
namespace {

cluster::Node node(std::string name, std::string ip, std::string cidr, std::string mac = "") {
  return {.name = std::move(name),
          .internalIP = *net::IpAddress::parse(ip),
          .podCIDR = *net::Prefix::parse(cidr),
          .vtepMAC = std::move(mac)};
}

cluster::Pod pod(std::string name, std::string node, std::string ip, std::string app = "web") {
  cluster::Pod p;
  p.name = std::move(name);
  p.node = std::move(node);
  p.labels = {{"app", app}};
  if (!ip.empty()) p.podIP = *net::IpAddress::parse(ip);
  p.port = 80;
  p.phase = ip.empty() ? cluster::PodPhase::Pending : cluster::PodPhase::Running;
  p.ready = !ip.empty();
  return p;
}

cluster::Service service(std::string name, cluster::ServiceType type, std::string ip,
                         uint16_t node_port = 0) {
  cluster::Service s;
  s.name = std::move(name);
  s.type = type;
  s.clusterIP = *net::IpAddress::parse(ip);
  s.selector = {{"app", s.name}};
  cluster::ServicePort p;
  p.port = 80;
  p.targetPort = 80;
  p.nodePort = node_port;
  s.ports = {p};
  return s;
}

ClusterPicture lab_picture(cluster::BackendType backend = cluster::BackendType::vxlan) {
  ClusterPicture pic;
  pic.title = "lab grf";
  pic.config = cluster::ClusterConfig{};
  pic.config->backend.type = backend;
  pic.nodes = {node("lxb001", "10.1.1.15", "192.168.1.0/24", "aa:bb:cc:00:00:01"),
               node("lxb002", "10.1.1.16", "192.168.2.0/24", "aa:bb:cc:00:00:02"),
               node("lxb003", "10.1.1.17", "192.168.3.0/24", "aa:bb:cc:00:00:03")};
  pic.pods = {pod("web-aaaaa", "lxb001", "192.168.1.2"), pod("web-bbbbb", "lxb002", "192.168.2.2"),
              pod("web-ccccc", "lxb003", "192.168.3.2"),
              pod("db-ddddd", "lxb001", "192.168.1.3", "db")};
  pic.services = {service("web", cluster::ServiceType::NodePort, "10.96.0.10", 30080),
                  service("db", cluster::ServiceType::ClusterIP, "10.96.0.11")};
  pic.outside = OutsideHost{.name = "grf-ext", .underlay = "10.1.1.1", .loopback = "203.0.113.1"};
  return pic;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// Graphviz's own reader accepts the text.
void expect_parses(const std::string& dot) {
  Agraph_t* g = agmemread(dot.c_str());
  EXPECT_NE(g, nullptr) << dot;
  if (g) agclose(g);
}

TEST(CtlGraphDot, ExternalIpsAreInTheServiceLabel) {
  auto pic = lab_picture();
  pic.services[1].externalIPs = {*net::IpAddress::parse("203.0.113.10")};
  const auto dot = cluster_dot(pic);
  expect_parses(dot);
  EXPECT_TRUE(has(dot, "svc db\\nClusterIP 10.96.0.11\\nexternal 203.0.113.10\\n80/TCP → 80"))
      << dot;
}

TEST(CtlGraphDot, EveryNodePodAndServiceLabelIsThere) {
  const auto dot = cluster_dot(lab_picture());
  expect_parses(dot);
  EXPECT_TRUE(has(dot, "label=\"podnet: lab grf\"")) << dot;
  for (const auto* part :
       {"node lxb001  ·  pods 192.168.1.0/24", "lxb001\\n10.1.1.15\\nVTEP aa:bb:cc:00:00:01",
        "lxb003\\n10.1.1.17", "web-aaaaa\\n192.168.1.2", "web-ccccc\\n192.168.3.2",
        "db-ddddd\\n192.168.1.3", "svc web\\nClusterIP 10.96.0.10\\n80/TCP → 80  NodePort 30080",
        "svc db\\nClusterIP 10.96.0.11\\n80/TCP → 80",
        "grf-ext (outside)\\n10.1.1.1\\n203.0.113.1"})
    EXPECT_TRUE(has(dot, part)) << part << "\n" << dot;
  // Each pod sits in its node's cluster.
  const auto c1 = dot.find("subgraph cluster_node_0"), c2 = dot.find("subgraph cluster_node_1");
  EXPECT_LT(c1, dot.find("\"pod/default/web-aaaaa\" [")) << dot;
  EXPECT_LT(dot.find("\"pod/default/db-ddddd\" ["), c2) << dot;
  EXPECT_GT(dot.find("\"pod/default/web-bbbbb\" ["), c2) << dot;
}

TEST(CtlGraphDot, BridgeModePodsHangOffTheNodeBridge) {
  auto pic = lab_picture();
  pic.pod_bridge = "podnet0";
  const auto dot = cluster_dot(pic);
  expect_parses(dot);
  EXPECT_TRUE(has(dot, "\"bridge/lxb001\" [label=\"podnet0\\n192.168.1.1/24\", shape=component"))
      << dot;
  EXPECT_TRUE(has(dot, "\"node/lxb001\" -> \"bridge/lxb001\" [arrowhead=none")) << dot;
  EXPECT_TRUE(has(dot, "\"bridge/lxb001\" -> \"pod/default/web-aaaaa\" [arrowhead=none")) << dot;
  EXPECT_FALSE(has(dot, "\"node/lxb001\" -> \"pod/")) << dot;
  // The bridge is in its node's cluster, before the next node's.
  EXPECT_LT(dot.find("\"bridge/lxb001\" ["), dot.find("subgraph cluster_node_1")) << dot;
  // Routed pods (the default) hang off the node itself.
  EXPECT_FALSE(has(cluster_dot(lab_picture()), "bridge/"));
}

TEST(CtlGraphDot, LinksFollowTheBackend) {
  const auto vx = cluster_dot(lab_picture());
  EXPECT_EQ(count(vx, "label=\"vxlan VNI 1\""), 3u) << vx;  // every pair of 3 nodes
  EXPECT_TRUE(has(vx,
                  "\"node/lxb001\" -> \"node/lxb003\" [dir=none, constraint=false, "
                  "color=\"#555555\", style=dashed"))
      << vx;
  const auto gw = cluster_dot(lab_picture(cluster::BackendType::host_gw));
  EXPECT_EQ(count(gw, "label=\"host-gw\""), 3u) << gw;
  EXPECT_EQ(count(gw, "style=dashed, xlabel=\"host-gw\""), 0u) << gw;
  auto direct = lab_picture();
  direct.config->backend.directRouting = true;
  EXPECT_EQ(count(cluster_dot(direct), "label=\"direct (vxlan fallback)\""), 3u);
  direct.config.reset();  // no config: links drawn, unlabelled
  EXPECT_EQ(count(cluster_dot(direct), "[dir=none, constraint=false"), 3u);
}

TEST(CtlGraphDot, ServicesPointAtTheirEndpointsAndTheOutsideAtNodePorts) {
  const auto dot = cluster_dot(lab_picture());
  for (const auto* p : {"web-aaaaa", "web-bbbbb", "web-ccccc"})
    EXPECT_TRUE(
        has(dot, std::string("\"svc/default/web\" -> \"pod/default/") + p + "\" [label=\":80\""))
        << p << "\n"
        << dot;
  EXPECT_TRUE(has(dot, "\"svc/default/db\" -> \"pod/default/db-ddddd\" [label=\":80\""));
  EXPECT_EQ(count(dot, "\"svc/default/db\" -> "), 1u);
  EXPECT_TRUE(has(dot, "\"ext\" -> \"svc/default/web\" [xlabel=\"NodePort 30080\""));
  EXPECT_FALSE(has(dot, "\"ext\" -> \"svc/default/db\""));
  EXPECT_EQ(count(dot, "\"ext\" -> \"node/"), 3u);
  // Without a lab there is no outside host.
  auto no_lab = lab_picture();
  no_lab.outside.reset();
  EXPECT_FALSE(has(cluster_dot(no_lab), "\"ext\""));
}

TEST(CtlGraphDot, ExplicitEndpointsAndUnscheduledPods) {
  auto pic = lab_picture();
  auto ext = service("legacy", cluster::ServiceType::ClusterIP, "10.96.0.12");
  ext.selector.clear();
  ext.endpoints = {{.ip = *net::IpAddress::parse("10.1.1.1"), .port = 8080}};
  pic.services.push_back(ext);
  pic.pods.push_back(pod("web-zzzzz", "", ""));
  auto other_ns = pod("api-yyyyy", "lxb002", "192.168.2.9", "api");
  other_ns.ns = "shop";
  pic.pods.push_back(other_ns);
  const auto dot = cluster_dot(pic);
  expect_parses(dot);
  EXPECT_TRUE(has(dot, "\"ip/10.1.1.1\" [label=\"10.1.1.1\", shape=note]")) << dot;
  EXPECT_TRUE(has(dot, "\"svc/default/legacy\" -> \"ip/10.1.1.1\" [label=\":8080\"")) << dot;
  EXPECT_TRUE(has(dot, "web-zzzzz\\nno IP\\nPending\\nnot scheduled")) << dot;
  EXPECT_TRUE(has(dot, "\"pod/shop/api-yyyyy\" [label=\"shop/api-yyyyy\\n192.168.2.9\"")) << dot;
}

TEST(CtlGraphDot, NamesAreEscaped) {
  EXPECT_EQ(dot_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(dot_escape("plain-name"), "plain-name");
  auto pic = lab_picture();
  pic.title = "store \"x\\y\"";
  pic.pods.push_back(pod("we\"ird\\pod", "lxb001", "192.168.1.9"));
  const auto dot = cluster_dot(pic);
  EXPECT_TRUE(
      has(dot, "\"pod/default/we\\\"ird\\\\pod\" [label=\"we\\\"ird\\\\pod\\n192.168.1.9\""))
      << dot;
  EXPECT_TRUE(has(dot, "label=\"podnet: store \\\"x\\\\y\\\"\"")) << dot;
  expect_parses(dot);
}

TEST(CtlGraphDot, DeterministicWhateverTheInputOrder) {
  const auto pic = lab_picture();
  const auto want = cluster_dot(pic);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    auto shuffled = pic;
    std::ranges::shuffle(shuffled.nodes, rng);
    std::ranges::shuffle(shuffled.pods, rng);
    std::ranges::shuffle(shuffled.services, rng);
    EXPECT_EQ(cluster_dot(shuffled), want);
  }
  // Colours follow the node order: lxb001 blue, lxb002 green.
  EXPECT_TRUE(has(want, "color=\"#1f77b4\"; fillcolor=\"#e3edf7\"")) << want;
  EXPECT_LT(want.find("#1f77b4"), want.find("#2ca02c"));
}

// Laid out and rendered in-process, layout freed each time: every backend, 1 to 8 nodes, with
// and without the outside host (Graphviz 2.43 frees some edge shapes twice: none of ours).
TEST(CtlGraphRender, EveryShapeRendersAndFreesCleanly) {
  for (auto backend : {cluster::BackendType::vxlan, cluster::BackendType::host_gw})
    for (size_t n = 1; n <= 8; ++n)
      for (bool outside : {true, false}) {
        auto pic = lab_picture(backend);
        for (size_t i = 3; i < n; ++i) {
          pic.nodes.push_back(node(fmt::format("lxb{:03}", i + 1), fmt::format("10.1.1.{}", 15 + i),
                                   fmt::format("192.168.{}.0/24", i + 1)));
          pic.pods.push_back(pod(fmt::format("web-{:05}", i), pic.nodes.back().name,
                                 fmt::format("192.168.{}.2", i + 1)));
        }
        pic.nodes.resize(std::min(n, pic.nodes.size()));
        if (!outside) pic.outside.reset();
        for (int round = 0; round < 3; ++round) {
          auto svg = render_svg(cluster_dot(pic));
          ASSERT_TRUE(svg) << svg.error().message;
          EXPECT_NE(svg->find("<svg"), std::string::npos);
          EXPECT_NE(svg->find(">lxb001</text>"), std::string::npos);
        }
      }
  auto bad = render_svg("digraph {");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cannot read the DOT text"), std::string::npos)
      << bad.error().message;
}

TEST(CtlGraphDot, EmptyClusterIsAValidGraph) {
  const auto dot = cluster_dot(ClusterPicture{.title = "empty"});
  expect_parses(dot);
  EXPECT_TRUE(has(dot, "digraph podnet {"));
}

}  // namespace
}  // namespace podnet::ctl
