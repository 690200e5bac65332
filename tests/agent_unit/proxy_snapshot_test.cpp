#include <gtest/gtest.h>

#include "podnet/agent/histogram.hpp"
#include "podnet/agent/metrics.hpp"
#include "podnet/agent/proxy_snapshot.hpp"

namespace podnet::agent {
namespace {

net::IpAddress ip(const char* s) {
  return *net::IpAddress::parse(s);
}

cluster::Service web() {
  cluster::Service s;
  s.name = "web";
  s.clusterIP = ip("10.96.0.10");
  s.type = cluster::ServiceType::NodePort;
  s.selector = {{"app", "web"}};
  s.ports = {{.name = "http",
              .protocol = cluster::Protocol::TCP,
              .port = 80,
              .targetPort = 8080,
              .nodePort = 30080},
             {.name = "dns",
              .protocol = cluster::Protocol::UDP,
              .port = 53,
              .targetPort = 53,
              .nodePort = 30053}};
  return s;
}

TEST(ProxySnapshot, PortsEndpointsAndLocality) {
  std::vector<cluster::PortEndpoints> eps = {
      {.index = 0,
       .name = "http",
       .protocol = cluster::Protocol::TCP,
       .port = 80,
       .endpoints = {{.ip = ip("192.168.0.2"), .port = 8080, .node = "a", .pod = "web-1"},
                     {.ip = ip("192.168.1.2"), .port = 8080, .node = "b", .pod = "web-2"}}},
      {.index = 1, .name = "dns", .protocol = cluster::Protocol::UDP, .port = 53, .endpoints = {}}};
  auto v = to_proxy_service(web(), eps, "a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ns, "default");
  EXPECT_EQ(v->cluster_ip, ip("10.96.0.10"));
  ASSERT_EQ(v->ports.size(), 2u);
  EXPECT_EQ(v->ports[0].protocol, proxy::Protocol::tcp);
  EXPECT_EQ(v->ports[0].node_port, 30080);
  ASSERT_EQ(v->ports[0].endpoints.size(), 2u);
  EXPECT_TRUE(v->ports[0].endpoints[0].local);
  EXPECT_FALSE(v->ports[0].endpoints[1].local);
  EXPECT_EQ(v->ports[0].endpoints[1].port, 8080);
  EXPECT_EQ(v->ports[1].protocol, proxy::Protocol::udp);
  EXPECT_TRUE(v->ports[1].endpoints.empty());
  EXPECT_EQ(endpoint_count(*v), 2u);
  EXPECT_EQ(v->affinity_timeout, 0u);
  EXPECT_FALSE(v->external_local);
}

TEST(ProxySnapshot, ExternalIpsOfTheClusterIpFamily) {
  auto s = web();
  s.externalIPs = {ip("203.0.113.10"), ip("fd00::10"), ip("203.0.113.11")};
  auto v = to_proxy_service(s, {}, "a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->external_ips, (std::vector<net::IpAddress>{ip("203.0.113.10"), ip("203.0.113.11")}));
}

TEST(ProxySnapshot, PoliciesAffinityAndClusterIpType) {
  auto s = web();
  s.sessionAffinity = cluster::SessionAffinity::ClientIP;
  s.affinityTimeout = 600;
  s.externalTrafficPolicy = cluster::TrafficPolicy::Local;
  s.internalTrafficPolicy = cluster::TrafficPolicy::Local;
  auto v = to_proxy_service(s, {}, "a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->affinity_timeout, 600u);
  EXPECT_TRUE(v->external_local);
  EXPECT_TRUE(v->internal_local);
  // A ClusterIP Service programs no node ports, whatever its ports still carry.
  s.type = cluster::ServiceType::ClusterIP;
  v = to_proxy_service(s, {}, "a");
  EXPECT_EQ(v->ports[0].node_port, 0);
  EXPECT_FALSE(v->external_local);
}

TEST(ProxySnapshot, NothingWithoutClusterIp) {
  auto s = web();
  s.clusterIP.reset();
  EXPECT_FALSE(to_proxy_service(s, {}, "a"));
}

TEST(Histogram, BucketsAreCumulativeWithSumAndCount) {
  Histogram h;
  h.observe(0.0004);
  h.observe(0.003);
  h.observe(30);
  std::string out;
  h.render(out, "x_seconds", "node=\"a\"");
  EXPECT_NE(out.find("x_seconds_bucket{node=\"a\",le=\"0.0005\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{node=\"a\",le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{node=\"a\",le=\"10\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{node=\"a\",le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count{node=\"a\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum{node=\"a\"} 30.003400\n"), std::string::npos) << out;
}

TEST(Histogram, ProxyMetricsRenderedOnlyWhenEnabled) {
  MetricsSnapshot m;
  m.node = "a";
  EXPECT_EQ(render_metrics(m).find("podnet_proxy_"), std::string::npos);
  m.proxy.enabled = true;
  m.proxy.sync_full.observe(0.01);
  m.proxy.services = 3;
  std::string t = render_metrics(m);
  EXPECT_NE(t.find("# TYPE podnet_proxy_sync_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(t.find("podnet_proxy_sync_duration_seconds_count{node=\"a\",kind=\"full\"} 1"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("podnet_proxy_sync_duration_seconds_count{node=\"a\",kind=\"partial\"} 0"),
            std::string::npos);
  EXPECT_NE(t.find("podnet_proxy_services{node=\"a\"} 3"), std::string::npos);
  for (const char* name :
       {"podnet_proxy_endpoints", "podnet_proxy_sync_errors_total",
        "podnet_proxy_programming_latency_seconds_count", "podnet_proxy_conntrack_deleted_total",
        "podnet_proxy_repairs_total"})
    EXPECT_NE(t.find(name), std::string::npos) << name;
}

TEST(Histogram, ReadBackFromAScrapeDiffedAndQuantiles) {
  Histogram before;
  before.observe(3.0);  // e.g. a bulk apply's latency, observed before the measured series
  Histogram h = before;
  for (int i = 0; i < 90; ++i) h.observe(0.008);  // bucket (0.005, 0.01]
  for (int i = 0; i < 10; ++i) h.observe(0.04);   // bucket (0.025, 0.05]
  std::string out = "# HELP other\nx_seconds_count{node=\"b\"} 7\n";
  h.render(out, "x_seconds", "node=\"a\"");
  auto got = Histogram::parse(out, "x_seconds", "node=\"a\"");
  ASSERT_TRUE(got) << out;
  EXPECT_EQ(got->count, 101u);
  EXPECT_EQ(got->buckets, h.buckets);
  EXPECT_NEAR(got->sum, h.sum, 1e-6);
  EXPECT_FALSE(Histogram::parse(out, "x_seconds", "node=\"c\""));
  EXPECT_FALSE(Histogram::parse("x_seconds_count{} 1\n", "x_seconds", ""));

  Histogram d = got->since(before);
  EXPECT_EQ(d.count, 100u);
  // Linear inside the bucket: the 50th of 90 in (0.005, 0.01], the 99th 9/10 into (0.025, 0.05].
  EXPECT_NEAR(d.quantile(0.5), 0.005 + 0.005 * 50 / 90, 1e-9);
  EXPECT_NEAR(d.quantile(0.99), 0.025 + 0.025 * 9 / 10, 1e-9);
  EXPECT_EQ(Histogram{}.quantile(0.99), 0);
  Histogram slow;
  slow.observe(60);
  EXPECT_EQ(slow.quantile(0.5), 10);  // above every bound: the last bound
}

}  // namespace
}  // namespace podnet::agent
