#include "podnet/cluster/objects.hpp"

#include <gtest/gtest.h>

namespace podnet::cluster {
namespace {

using nlohmann::json;
net::Prefix P(const char* s) { return *net::Prefix::parse(s); }
net::IpAddress A(const char* s) { return *net::IpAddress::parse(s); }

TEST(Keys, Shapes) {
  EXPECT_EQ(node_key("lxb001"), "/podnet/nodes/lxb001");
  EXPECT_EQ(subnet_key(P("192.168.4.0/24")), "/podnet/subnets/192.168.4.0-24");
  EXPECT_EQ(subnet_key(P("fd00:1::/64")), "/podnet/subnets/fd00:1::-64");
  EXPECT_EQ(pod_key("default", "web-1"), "/podnet/pods/default/web-1");
  EXPECT_EQ(service_key("kube-system", "dns"), "/podnet/services/kube-system/dns");
  EXPECT_EQ(*subnet_from_key("/podnet/subnets/192.168.4.0-24"), P("192.168.4.0/24"));
  EXPECT_EQ(*subnet_from_key("192.168.4.0-24"), P("192.168.4.0/24"));
  EXPECT_EQ(*subnet_from_key(subnet_key(P("fd00:1::/64"))), P("fd00:1::/64"));
  EXPECT_EQ(subnet_from_key("/podnet/subnets/192.168.4.0").error().message,
            "subnet key \"/podnet/subnets/192.168.4.0\": want <address>-<length>");
  EXPECT_FALSE(subnet_from_key("192.168.4.1-24").has_value());
}

TEST(Names, Dns1123Label) {
  for (const std::string& ok : {std::string("lxb001"), std::string("a"), std::string("web-7f9c"),
                               std::string("0abc"), std::string(63, 'a')})
    EXPECT_TRUE(validate_dns_label(ok, "metadata.name").has_value()) << ok;
  EXPECT_EQ(validate_dns_label("", "metadata.name").error().message, "metadata.name: must not be empty");
  EXPECT_EQ(validate_dns_label("Lxb001", "metadata.name").error().message,
            "metadata.name: \"Lxb001\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)");
  EXPECT_EQ(validate_dns_label("web.1", "x").error().message,
            "x: \"web.1\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)");
  EXPECT_EQ(validate_dns_label("-web", "x").error().message,
            "x: \"-web\" is not a DNS-1123 label (must start and end with a-z or 0-9)");
  EXPECT_EQ(validate_dns_label("web-", "x").error().message,
            "x: \"web-\" is not a DNS-1123 label (must start and end with a-z or 0-9)");
  std::string long_name(64, 'a');
  EXPECT_EQ(validate_dns_label(long_name, "x").error().message,
            fmt::format("x: \"{}\" is not a DNS-1123 label (longer than 63 characters)", long_name));
}

Node seed_node() {
  return Node{"lxb001", A("10.1.1.15"), P("192.168.0.0/24"), "0a:58:c0:a8:00:01", 1764145000};
}

TEST(NodeJson, RoundTripAndShape) {
  Node n = seed_node();
  json j = to_json(n);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "lxb001"},
      "spec": {"podCIDR": "192.168.0.0/24", "backend": {"vtepMAC": "0a:58:c0:a8:00:01"}},
      "status": {"addresses": [{"type": "InternalIP", "address": "10.1.1.15"}],
                 "heartbeat": 1764145000}})"));
  EXPECT_EQ(*node_from_json(j), n);
  n.vtepMAC.clear();  // host-gw
  EXPECT_FALSE(to_json(n)["spec"].contains("backend"));
  EXPECT_EQ(*node_from_json(to_json(n)), n);
  // MAC upper case is normalised; other address types are skipped
  j["spec"]["backend"]["vtepMAC"] = "0A:58:C0:A8:00:01";
  j["status"]["addresses"] = json::parse(R"([{"type": "Hostname", "address": "lxb001"},
                                             {"type": "InternalIP", "address": "10.1.1.15"}])");
  EXPECT_EQ(node_from_json(j)->vtepMAC, "0a:58:c0:a8:00:01");
}

struct Case {
  std::string pointer;  // JSON pointer to patch ("" = remove below)
  json value;           // null: remove the member
  std::string message;
};

json patched(json j, const Case& c) {
  json::json_pointer ptr(c.pointer);
  if (c.value.is_null()) j[ptr.parent_pointer()].erase(ptr.back());
  else j[ptr] = c.value;
  return j;
}

TEST(NodeJson, ErrorsNameTheField) {
  const json good = to_json(seed_node());
  const Case cases[] = {
      {"/metadata", nullptr, "metadata: missing"},
      {"/metadata/name", nullptr, "metadata.name: missing"},
      {"/metadata/name", "LXB001", "metadata.name: \"LXB001\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/spec", nullptr, "spec: missing"},
      {"/spec/podCIDR", "192.168.0.0", "spec.podCIDR: \"192.168.0.0\" is not a CIDR"},
      {"/spec/podCIDR", "192.168.0.1/24", "spec.podCIDR: 192.168.0.1/24 has host bits set (did you mean 192.168.0.0/24?)"},
      {"/spec/backend/vtepMAC", "0a:58:c0:a8:00", "spec.backend.vtepMAC: \"0a:58:c0:a8:00\" is not a MAC address (aa:bb:cc:dd:ee:ff)"},
      {"/spec/backend", "x", "spec.backend: must be an object"},
      {"/status", nullptr, "status: missing"},
      {"/status/addresses", nullptr, "status.addresses: missing (want an array)"},
      {"/status/addresses", json::array(), "status.addresses: no InternalIP address"},
      {"/status/addresses/0/address", "10.1.1", "status.addresses[0].address: \"10.1.1\" is not an IP address"},
      {"/status/addresses/0/type", 4, "status.addresses[0].type: must be a string"},
      {"/status/heartbeat", "now", "status.heartbeat: must be an integer"},
      {"/status/heartbeat", -1, "status.heartbeat: -1 must not be negative"},
  };
  for (const auto& c : cases) {
    auto r = node_from_json(patched(good, c));
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
  EXPECT_EQ(node_from_json(json::array()).error().message, "object: must be a JSON object");
}

TEST(LeaseJson, RoundTripAndErrors) {
  SubnetLease l{P("192.168.4.0/24"), "lxb003", A("10.1.1.17")};
  json j = to_json(l);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "192.168.4.0-24"},
      "spec": {"cidr": "192.168.4.0/24", "node": "lxb003", "internalIP": "10.1.1.17"}})"));
  EXPECT_EQ(*lease_from_json(j), l);
  const Case cases[] = {
      {"/spec", nullptr, "spec: missing"},
      {"/spec/cidr", nullptr, "spec.cidr: missing"},
      {"/spec/cidr", "nope", "spec.cidr: \"nope\" is not a CIDR"},
      {"/spec/node", "", "spec.node: must not be empty"},
      {"/spec/node", 1, "spec.node: must be a string"},
      {"/spec/internalIP", "10.1.1.300", "spec.internalIP: \"10.1.1.300\" is not an IP address"},
  };
  for (const auto& c : cases) {
    auto r = lease_from_json(patched(j, c));
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
}

Pod web_pod() {
  Pod p;
  p.ns = "default";
  p.name = "web-7f9c";
  p.labels = {{"app", "web"}};
  p.node = "lxb001";
  p.podIP = A("192.168.4.4");
  p.containerID = "c0ffee";
  p.phase = PodPhase::Running;
  return p;
}

TEST(PodJson, RoundTripAndShape) {
  Pod p = web_pod();
  json j = to_json(p);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "web-7f9c", "namespace": "default",
      "labels": {"app": "web"}}, "spec": {"nodeName": "lxb001"},
      "status": {"phase": "Running", "podIP": "192.168.4.4", "containerID": "c0ffee"}})"));
  EXPECT_EQ(*pod_from_json(j), p);
  Pod pending;
  pending.name = "web-2";
  EXPECT_EQ(*pod_from_json(to_json(pending)), pending);
  // namespace defaults to "default", spec/status may be absent
  auto bare = pod_from_json(json{{"metadata", {{"name", "x"}}}});
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->ns, "default");
  EXPECT_EQ(bare->phase, PodPhase::Pending);
  for (auto ph : {PodPhase::Pending, PodPhase::Running, PodPhase::Succeeded, PodPhase::Failed,
                  PodPhase::Unknown}) {
    p.phase = ph;
    EXPECT_EQ(pod_from_json(to_json(p))->phase, ph);
  }
}

TEST(PodJson, ErrorsNameTheField) {
  const json good = to_json(web_pod());
  const Case cases[] = {
      {"/metadata/name", "Web", "metadata.name: \"Web\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/metadata/namespace", "kube_system", "metadata.namespace: \"kube_system\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/metadata/labels", "app=web", "metadata.labels: must be an object"},
      {"/metadata/labels/app", 3, "metadata.labels.app: must be a string"},
      {"/spec/nodeName", "LXB", "spec.nodeName: \"LXB\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/status/phase", "running", "status.phase: unknown value \"running\" (want one of Pending, Running, Succeeded, Failed, Unknown)"},
      {"/status/podIP", "192.168.4", "status.podIP: \"192.168.4\" is not an IP address"},
      {"/status/containerID", 5, "status.containerID: must be a string"},
  };
  for (const auto& c : cases) {
    auto r = pod_from_json(patched(good, c));
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
}

Service web_service() {
  Service s;
  s.name = "web";
  s.type = ServiceType::NodePort;
  s.clusterIP = A("10.96.0.10");
  s.ports = {{"http", Protocol::TCP, 80, 8080, 30080}, {"dns", Protocol::UDP, 53, 53, 0}};
  s.selector = {{"app", "web"}};
  s.sessionAffinity = SessionAffinity::ClientIP;
  return s;
}

TEST(ServiceJson, RoundTripAndShape) {
  Service s = web_service();
  json j = to_json(s);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "web", "namespace": "default"},
      "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
               "sessionAffinity": "ClientIP",
               "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
               "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
               "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                         {"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 53}]}})"));
  EXPECT_EQ(*service_from_json(j), s);
  // defaults: ClusterIP, TCP, targetPort = port, no name needed for a single port
  auto m = service_from_json(json::parse(R"({"metadata": {"name": "db"},
      "spec": {"ports": [{"port": 5432, "protocol": "SCTP"}]}})"));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->type, ServiceType::ClusterIP);
  EXPECT_FALSE(m->clusterIP.has_value());
  EXPECT_EQ(m->ports[0], (ServicePort{"", Protocol::SCTP, 5432, 5432, 0}));
  EXPECT_EQ(m->sessionAffinity, SessionAffinity::None);
  EXPECT_EQ(*service_from_json(to_json(*m)), *m);
}

TEST(ServiceJson, ErrorsNameTheField) {
  const json good = to_json(web_service());
  const Case cases[] = {
      {"/metadata/name", "web_1", "metadata.name: \"web_1\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/spec", nullptr, "spec: missing"},
      {"/spec/type", "LoadBalancer", "spec.type: unknown value \"LoadBalancer\" (want one of ClusterIP, NodePort)"},
      {"/spec/clusterIP", "10.96.0", "spec.clusterIP: \"10.96.0\" is not an IP address"},
      {"/spec/selector", json::array(), "spec.selector: must be an object"},
      {"/spec/sessionAffinity", "Sticky", "spec.sessionAffinity: unknown value \"Sticky\" (want one of None, ClientIP)"},
      {"/spec/ports", json::array(), "spec.ports: missing (want a non-empty array)"},
      {"/spec/ports", nullptr, "spec.ports: missing (want a non-empty array)"},
      {"/spec/ports/1", 5, "spec.ports[1]: must be an object"},
      {"/spec/ports/0/port", 70000, "spec.ports[0].port: 70000 must be in 1..65535"},
      {"/spec/ports/0/port", 0, "spec.ports[0].port: 0 must be in 1..65535"},
      {"/spec/ports/0/port", nullptr, "spec.ports[0].port: missing"},
      {"/spec/ports/0/port", "80", "spec.ports[0].port: must be an integer"},
      {"/spec/ports/1/targetPort", 65536, "spec.ports[1].targetPort: 65536 must be in 1..65535"},
      {"/spec/ports/0/nodePort", -1, "spec.ports[0].nodePort: -1 must be in 1..65535"},
      {"/spec/ports/1/protocol", "ICMP", "spec.ports[1].protocol: unknown value \"ICMP\" (want one of TCP, UDP, SCTP)"},
      {"/spec/ports/1/name", nullptr, "spec.ports[1].name: required when a service has several ports"},
      {"/spec/ports/1/name", "http", "spec.ports[1].name: \"http\" used twice"},
      {"/spec/ports/1/name", "DNS", "spec.ports[1].name: \"DNS\" is not a DNS-1123 label (only a-z, 0-9 and '-' allowed)"},
      {"/spec/ports/1/protocol", "TCP", "spec.ports[1].port: 80/TCP used twice"},
  };
  for (const auto& c : cases) {
    json j = patched(good, c);
    if (c.pointer == "/spec/ports/1/protocol" && c.value == "TCP") j["spec"]["ports"][1]["port"] = 80;
    auto r = service_from_json(j);
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
  json cip = good;
  cip["spec"]["type"] = "ClusterIP";
  EXPECT_EQ(service_from_json(cip).error().message,
            "spec.ports[0].nodePort: 30080 set on a ClusterIP service");
}

}  // namespace
}  // namespace podnet::cluster
