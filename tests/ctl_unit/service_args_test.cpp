#include <gtest/gtest.h>

#include "core/service_args.hpp"

namespace podnet::ctl {
namespace {

using cluster::Protocol;

TEST(CtlPortSpec, KubectlShapes) {
  auto p = parse_port_spec("80:8080", Protocol::TCP, "--tcp");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->port, 80);
  EXPECT_EQ(p->targetPort, cluster::TargetPort(8080));
  EXPECT_EQ(p->name, "80-8080");
  auto bare = parse_port_spec("443", Protocol::UDP, "--udp");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->targetPort, cluster::TargetPort(443));
  EXPECT_EQ(bare->protocol, Protocol::UDP);
  EXPECT_EQ(bare->name, "443");
  auto named = parse_port_spec("80:http", Protocol::TCP, "--tcp");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->targetPort, cluster::TargetPort("http"));
  EXPECT_EQ(named->name, "80-http");
}

TEST(CtlPortSpec, BadOnesNameTheFlag) {
  for (const char* bad :
       {"", "0", "70000", "abc", "80:", "80:0", "80:70000", "80:1:2", ":80", "80:Bad_Name", "-1"}) {
    auto p = parse_port_spec(bad, Protocol::TCP, "--tcp");
    ASSERT_FALSE(p) << bad;
    EXPECT_TRUE(p.error().message.starts_with("--tcp: ")) << p.error().message;
    EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
  }
}

TEST(CtlCreateService, SelectorAndPorts) {
  CreateServiceArgs a{.type = cluster::ServiceType::NodePort,
                      .name = "web",
                      .tcp = {"80:8080"},
                      .node_port = 30080};
  auto s = service_from_create(a);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->selector, (cluster::Labels{{"app", "web"}}));
  EXPECT_EQ(s->labels, (cluster::Labels{{"app", "web"}}));
  ASSERT_EQ(s->ports.size(), 1u);
  EXPECT_EQ(s->ports[0].nodePort, 30080);
  EXPECT_FALSE(s->clusterIP);

  CreateServiceArgs both{.name = "dns", .tcp = {"53"}, .udp = {"53"}};
  auto d = service_from_create(both);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->ports.size(), 2u);
  EXPECT_EQ(d->ports[0].name, "53");
  EXPECT_EQ(d->ports[1].name, "53-udp");
}

TEST(CtlCreateService, Refusals) {
  auto msg = [](CreateServiceArgs a) {
    auto s = service_from_create(a);
    return s ? std::string("ok") : s.error().message;
  };
  EXPECT_EQ(msg({.name = "web"}), "--tcp: at least one --tcp or --udp port must be given");
  EXPECT_EQ(msg({.name = "Web", .tcp = {"80"}}).substr(0, 6), "NAME: ");
  EXPECT_EQ(msg({.name = "web", .tcp = {"80", "80"}}), "--tcp: port 80 given twice");
  EXPECT_EQ(msg({.type = cluster::ServiceType::NodePort,
                 .name = "web",
                 .tcp = {"80", "81"},
                 .node_port = 30080}),
            "--node-port: only with a single port (each port needs its own nodePort)");
  EXPECT_EQ(msg({.type = cluster::ServiceType::NodePort,
                 .name = "web",
                 .tcp = {"80"},
                 .node_port = 70000}),
            "--node-port: 70000 must be in 1..65535");
}

TEST(CtlExpose, FromTheDeployment) {
  auto d = cluster::make_deployment("default", "web", 3, 8080, 0);
  ASSERT_TRUE(d);
  auto s = service_from_expose({.deployment = "web", .port = 80}, *d);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "web");
  EXPECT_EQ(s->selector, d->selector);
  ASSERT_EQ(s->ports.size(), 1u);
  EXPECT_EQ(s->ports[0].port, 80);
  EXPECT_EQ(s->ports[0].targetPort, cluster::TargetPort(80));
  EXPECT_EQ(s->ports[0].name, "");
  // No --port: the pods' port; --target-port, --type, --protocol, --name.
  auto t = service_from_expose({.deployment = "web",
                                .name = "web-udp",
                                .target_port = "9090",
                                .type = "NodePort",
                                .protocol = "UDP"},
                               *d);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->name, "web-udp");
  EXPECT_EQ(t->ports[0].port, 8080);
  EXPECT_EQ(t->ports[0].targetPort, cluster::TargetPort(9090));
  EXPECT_EQ(t->ports[0].protocol, Protocol::UDP);
  EXPECT_EQ(t->type, cluster::ServiceType::NodePort);
  auto bad = service_from_expose({.deployment = "web", .port = 0}, *d);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--port: 0 must be in 1..65535");
  auto lb = service_from_expose({.deployment = "web", .type = "LoadBalancer"}, *d);
  ASSERT_FALSE(lb);
  EXPECT_EQ(lb.error().message,
            "--type: \"LoadBalancer\" is not supported (want ClusterIP or NodePort)");
}

TEST(CtlExpose, ExternalIps) {
  auto d = cluster::make_deployment("default", "web", 3, 8080, 0);
  ASSERT_TRUE(d);
  auto s = service_from_expose({.deployment = "web", .external_ip = "203.0.113.10,203.0.113.11"}, *d);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->externalIPs, (std::vector<net::IpAddress>{*net::IpAddress::parse("203.0.113.10"),
                                                         *net::IpAddress::parse("203.0.113.11")}));
  auto bad = service_from_expose({.deployment = "web", .external_ip = "203.0.113.10,nope"}, *d);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--external-ip: \"nope\" is not an IP address");
  auto twice = service_from_expose({.deployment = "web", .external_ip = "1.2.3.4,1.2.3.4"}, *d);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "spec.externalIPs[1]: 1.2.3.4 listed twice");
}

}  // namespace
}  // namespace podnet::ctl
