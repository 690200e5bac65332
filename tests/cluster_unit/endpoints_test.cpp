// Endpoints from a Service and pods: selector, namespace, readiness, named targetPorts,
// publishNotReadyAddresses, explicit endpoints, kubectl's ENDPOINTS column.
#include <gtest/gtest.h>

#include "podnet/cluster/endpoints.hpp"

namespace podnet::cluster {
namespace {

net::IpAddress A(const char* s) {
  return *net::IpAddress::parse(s);
}

Pod pod(std::string name, const char* ip, std::string node, bool ready = true,
        std::string port_name = "web", uint16_t port = 8080) {
  Pod p;
  p.name = std::move(name);
  p.labels = {{"app", "web"}, {"tier", "front"}};
  p.node = std::move(node);
  p.podIP = A(ip);
  p.phase = PodPhase::Running;
  p.ready = ready;
  p.port = port;
  p.portName = std::move(port_name);
  return p;
}

Service web() {
  Service s;
  s.name = "web";
  s.selector = {{"app", "web"}};
  s.ports = {{"http", Protocol::TCP, 80, TargetPort("web"), 0},
             {"raw", Protocol::UDP, 53, 5353, 0}};
  return s;
}

TEST(Endpoints, ReadyMatchingPodsPerPortWithNamedTargetPorts) {
  std::vector<Pod> pods = {pod("a", "192.168.1.2", "n1"), pod("b", "192.168.0.2", "n2"),
                           pod("c", "192.168.0.3", "n2", false),          // not ready
                           pod("d", "192.168.0.4", "n1", true, "other"),  // lacks "web"
                           pod("e", "192.168.0.5", "n1", true, "web", 9090)};
  Pod other_ns = pod("f", "192.168.0.6", "n1");
  other_ns.ns = "prod";
  Pod other_app = pod("g", "192.168.0.7", "n1");
  other_app.labels = {{"app", "db"}};
  Pod no_ip = pod("h", "192.168.0.8", "n1");
  no_ip.podIP.reset();
  Pod pending = pod("i", "192.168.0.9", "n1");
  pending.phase = PodPhase::Pending;
  pods.insert(pods.end(), {other_ns, other_app, no_ip, pending});

  auto eps = compute_endpoints(web(), pods);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].name, "http");
  EXPECT_EQ(eps[0].port, 80);
  EXPECT_EQ(eps[0].endpoints, (std::vector<Endpoint>{{A("192.168.0.2"), 8080, "n2", "b", true},
                                                     {A("192.168.0.5"), 9090, "n1", "e", true},
                                                     {A("192.168.1.2"), 8080, "n1", "a", true}}));
  EXPECT_EQ(eps[1].protocol, Protocol::UDP);
  EXPECT_EQ(eps[1].endpoints.size(), 4u);  // numeric targetPort: d is in
  for (const auto& e : eps[1].endpoints) EXPECT_EQ(e.port, 5353);
  EXPECT_EQ(endpoints_column(eps),
            "192.168.0.2:8080,192.168.0.5:9090,192.168.1.2:8080 + 4 more...");
}

TEST(Endpoints, PublishNotReadyAddressesKeepsNotReadyPods) {
  Service s = web();
  s.publishNotReadyAddresses = true;
  Pod pending = pod("p", "192.168.0.9", "n1", false);
  pending.phase = PodPhase::Pending;
  Pod done = pod("q", "192.168.0.10", "n1", false);
  done.phase = PodPhase::Succeeded;
  auto eps = compute_endpoints(s, {pod("c", "192.168.0.3", "n2", false), pending, done});
  EXPECT_EQ(eps[0].endpoints, (std::vector<Endpoint>{{A("192.168.0.3"), 8080, "n2", "c", false},
                                                     {A("192.168.0.9"), 8080, "n1", "p", false}}));
}

TEST(Endpoints, NoSelectorUsesExplicitEndpoints) {
  Service s;
  s.name = "ext";
  s.ports = {{"http", Protocol::TCP, 80, 8080, 0}, {"m", Protocol::TCP, 9090, 9090, 0}};
  s.endpoints = {{A("10.1.1.1"), 0, ""}, {A("10.1.1.2"), 81, ""}, {A("10.1.1.3"), 9999, "m"}};
  auto eps = compute_endpoints(s, {pod("a", "192.168.1.2", "n1")});
  EXPECT_EQ(eps[0].endpoints, (std::vector<Endpoint>{{A("10.1.1.1"), 8080, "", "", true},
                                                     {A("10.1.1.2"), 81, "", "", true}}));
  EXPECT_EQ(eps[1].endpoints, (std::vector<Endpoint>{{A("10.1.1.1"), 9090, "", "", true},
                                                     {A("10.1.1.2"), 81, "", "", true},
                                                     {A("10.1.1.3"), 9999, "", "", true}}));
  EXPECT_EQ(endpoints_column(eps), "10.1.1.1:8080,10.1.1.2:81,10.1.1.1:9090 + 1 more...");
}

TEST(Endpoints, EmptyAndColumn) {
  Service s = web();
  auto eps = compute_endpoints(s, {});
  EXPECT_TRUE(eps[0].endpoints.empty());
  EXPECT_EQ(endpoints_column(eps), "<none>");
  s.selector.clear();
  EXPECT_TRUE(compute_endpoints(s, {pod("a", "192.168.1.2", "n1")})[0].endpoints.empty());
  EXPECT_FALSE(selector_matches({}, {{"app", "web"}}));
  EXPECT_TRUE(selector_matches({{"app", "web"}}, {{"app", "web"}, {"x", "y"}}));
  EXPECT_FALSE(selector_matches({{"app", "web"}, {"x", "z"}}, {{"app", "web"}, {"x", "y"}}));
  std::vector<PortEndpoints> two = {
      {0,
       "",
       Protocol::TCP,
       80,
       {{A("192.168.0.2"), 80, "n", "a", true}, {A("192.168.1.2"), 80, "n", "b", true}}}};
  EXPECT_EQ(endpoints_column(two), "192.168.0.2:80,192.168.1.2:80");
  std::vector<PortEndpoints> v6 = {{0, "", Protocol::TCP, 80, {{A("fd00::2"), 80, "", "", true}}}};
  EXPECT_EQ(endpoints_column(v6), "[fd00::2]:80");
}

}  // namespace
}  // namespace podnet::cluster
