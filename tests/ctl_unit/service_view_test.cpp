#include <gtest/gtest.h>

#include "core/service_view.hpp"

namespace podnet::ctl {
namespace {

cluster::Service svc(std::string name, cluster::ServiceType type, std::string ip,
                     std::vector<cluster::ServicePort> ports) {
  cluster::Service s;
  s.name = std::move(name);
  s.type = type;
  if (!ip.empty()) s.clusterIP = *net::IpAddress::parse(ip);
  s.ports = std::move(ports);
  s.selector = {{"app", s.name}};
  s.labels = s.selector;
  s.created = 1000;
  return s;
}

cluster::ServicePort port(uint16_t p, cluster::TargetPort t, uint16_t node = 0,
                          cluster::Protocol proto = cluster::Protocol::TCP, std::string name = "") {
  cluster::ServicePort sp;
  sp.name = std::move(name);
  sp.protocol = proto;
  sp.port = p;
  sp.targetPort = std::move(t);
  sp.nodePort = node;
  return sp;
}

cluster::Endpoint ep(std::string ip, uint16_t p) {
  return {.ip = *net::IpAddress::parse(ip), .port = p, .node = "lxb001", .pod = "web-abcde"};
}

TEST(CtlServiceView, PortsColumn) {
  auto s = svc("web", cluster::ServiceType::NodePort, "10.96.0.10",
               {port(80, 8080, 30543, cluster::Protocol::TCP, "http"),
                port(53, 53, 30053, cluster::Protocol::UDP, "dns")});
  EXPECT_EQ(ports_column(s), "80:30543/TCP,53:30053/UDP");
  auto c = svc("db", cluster::ServiceType::ClusterIP, "10.96.0.11", {port(5432, 5432)});
  EXPECT_EQ(ports_column(c), "5432/TCP");
  c.ports.clear();
  EXPECT_EQ(ports_column(c), "<none>");
  EXPECT_EQ(selector_column({{"app", "web"}, {"tier", "front"}}), "app=web,tier=front");
  EXPECT_EQ(selector_column({}), "<none>");
}

TEST(CtlServiceView, Table) {
  std::vector<cluster::Service> list = {
      svc("db", cluster::ServiceType::ClusterIP, "10.96.0.11", {port(5432, 5432)}),
      svc("web", cluster::ServiceType::NodePort, "10.96.0.10", {port(80, 8080, 30543)})};
  EXPECT_EQ(services_table(list, 1000 + 200, {}),
            "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
            "db     ClusterIP   10.96.0.11   <none>        5432/TCP       3m20s\n"
            "web    NodePort    10.96.0.10   <none>        80:30543/TCP   3m20s\n");
  list[0].created = 0;
  list[0].clusterIP.reset();
  EXPECT_EQ(services_table(list, 1000 + 45, {.wide = true, .namespaces = true}),
            "NAMESPACE   NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE         "
            "SELECTOR\n"
            "default     db     ClusterIP   <none>       <none>        5432/TCP       <unknown>   "
            "app=db\n"
            "default     web    NodePort    10.96.0.10   <none>        80:30543/TCP   45s         "
            "app=web\n");
}

TEST(CtlServiceView, EndpointsTableAndMore) {
  auto s = svc("web", cluster::ServiceType::ClusterIP, "10.96.0.10", {port(80, 8080)});
  cluster::PortEndpoints pe{.index = 0, .name = "", .protocol = cluster::Protocol::TCP, .port = 80};
  pe.endpoints = {ep("192.168.0.2", 8080), ep("192.168.1.2", 8080), ep("192.168.2.2", 8080),
                  ep("192.168.3.2", 8080)};
  auto empty = svc("none", cluster::ServiceType::ClusterIP, "10.96.0.12", {port(80, 80)});
  std::vector<EndpointsRow> rows = {{&empty, {}}, {&s, {pe}}};
  EXPECT_EQ(endpoints_table(rows, 1060, false),
            "NAME   ENDPOINTS                                                        AGE\n"
            "none   <none>                                                           60s\n"
            "web    192.168.0.2:8080,192.168.1.2:8080,192.168.2.2:8080 + 1 more...   60s\n");
  auto j = endpoints_json(s, {pe});
  EXPECT_EQ(j["kind"], "Endpoints");
  EXPECT_EQ(j["subsets"][0]["addresses"].size(), 4u);
  EXPECT_EQ(j["subsets"][0]["addresses"][0]["targetRef"]["name"], "web-abcde");
  EXPECT_EQ(j["subsets"][0]["ports"][0]["port"], 8080);
  EXPECT_FALSE(endpoints_json(empty, {}).contains("subsets"));
}

TEST(CtlServiceView, DescribeNodePort) {
  auto s = svc("web", cluster::ServiceType::NodePort, "10.96.0.10",
               {port(80, cluster::TargetPort("http"), 30543, cluster::Protocol::TCP, "web"),
                port(53, 53, 30053, cluster::Protocol::UDP, "dns")});
  s.labels["tier"] = "front";
  s.sessionAffinity = cluster::SessionAffinity::ClientIP;
  cluster::PortEndpoints pe{
      .index = 0, .name = "web", .protocol = cluster::Protocol::TCP, .port = 80};
  pe.endpoints = {ep("192.168.0.2", 8080), ep("192.168.1.2", 8080)};
  EXPECT_EQ(describe_service(s, {pe}),
            "Name:                     web\n"
            "Namespace:                default\n"
            "Labels:                   app=web\n"
            "                          tier=front\n"
            "Annotations:              <none>\n"
            "Selector:                 app=web\n"
            "Type:                     NodePort\n"
            "IP Family Policy:         SingleStack\n"
            "IP Families:              IPv4\n"
            "IP:                       10.96.0.10\n"
            "IPs:                      10.96.0.10\n"
            "Port:                     web  80/TCP\n"
            "TargetPort:               http/TCP\n"
            "NodePort:                 web  30543/TCP\n"
            "Endpoints:                192.168.0.2:8080,192.168.1.2:8080\n"
            "Port:                     dns  53/UDP\n"
            "TargetPort:               53/UDP\n"
            "NodePort:                 dns  30053/UDP\n"
            "Endpoints:                <none>\n"
            "Session Affinity:         ClientIP\n"
            "External Traffic Policy:  Cluster\n"
            "Internal Traffic Policy:  Cluster\n"
            "Events:                   <none>\n");
}

TEST(CtlServiceView, ExternalIps) {
  auto s = svc("web", cluster::ServiceType::ClusterIP, "10.96.0.10", {port(80, 8080)});
  s.externalIPs = {*net::IpAddress::parse("203.0.113.10"), *net::IpAddress::parse("203.0.113.11")};
  EXPECT_EQ(services_table({s}, 1000 + 200, {}),
            "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP                 PORT(S)   AGE\n"
            "web    ClusterIP   10.96.0.10   203.0.113.10,203.0.113.11   80/TCP    3m20s\n");
  const auto text = describe_service(s, {});
  EXPECT_NE(text.find("IPs:                      10.96.0.10\n"
                      "External IPs:             203.0.113.10,203.0.113.11\n"),
            std::string::npos)
      << text;
}

TEST(CtlServiceView, DescribeClusterIpUnnamedPort) {
  auto s = svc("db", cluster::ServiceType::ClusterIP, "10.96.0.11", {port(5432, 5432)});
  s.labels.clear();
  const auto text = describe_service(s, {});
  EXPECT_NE(text.find("Labels:                   <none>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Port:                     <unset>  5432/TCP\n"), std::string::npos);
  EXPECT_EQ(text.find("NodePort:"), std::string::npos);
  EXPECT_EQ(text.find("External Traffic Policy"), std::string::npos);
  EXPECT_EQ(text.find("External IPs:"), std::string::npos);
}

}  // namespace
}  // namespace podnet::ctl
