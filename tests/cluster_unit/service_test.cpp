// Service objects: the members added for the proxy (named targetPort, affinity timeout, traffic
// policies, publishNotReadyAddresses, explicit endpoints, creationTimestamp), their validation,
// and the checks against the cluster config.
#include <gtest/gtest.h>

#include "podnet/cluster/objects.hpp"
#include "podnet/cluster/service_alloc.hpp"

namespace podnet::cluster {
namespace {

using nlohmann::json;

net::IpAddress A(const char* s) {
  return *net::IpAddress::parse(s);
}

Service full_service() {
  Service s;
  s.name = "web";
  s.ns = "shop";
  s.created = 1764145000;
  s.type = ServiceType::NodePort;
  s.clusterIP = A("10.96.0.10");
  s.ports = {{"http", Protocol::TCP, 80, TargetPort("web"), 30080},
             {"dns", Protocol::UDP, 53, 5353, 30053}};
  s.selector = {{"app", "web"}};
  s.sessionAffinity = SessionAffinity::ClientIP;
  s.affinityTimeout = 60;
  s.externalTrafficPolicy = TrafficPolicy::Local;
  s.internalTrafficPolicy = TrafficPolicy::Local;
  s.publishNotReadyAddresses = true;
  return s;
}

TEST(ServiceFields, RoundTripWithEveryMember) {
  Service s = full_service();
  json j = to_json(s);
  EXPECT_EQ(j["metadata"]["creationTimestamp"], "2025-11-26T08:16:40Z");
  EXPECT_EQ(j["spec"]["ports"][0]["targetPort"], "web");
  EXPECT_EQ(j["spec"]["ports"][1]["targetPort"], 5353);
  EXPECT_EQ(j["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"], 60);
  EXPECT_EQ(j["spec"]["externalTrafficPolicy"], "Local");
  EXPECT_EQ(j["spec"]["internalTrafficPolicy"], "Local");
  EXPECT_EQ(j["spec"]["publishNotReadyAddresses"], true);
  auto back = service_from_json(j);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(ServiceFields, TextIsExactlyTheJsonDump) {
  // to_json_text writes what to_json(s).dump() does, byte for byte, over every combination of
  // the optional members (a deterministic sweep) and strings that need escaping.
  const std::vector<std::string> odd = {"plain",   "quote\"d", "back\\slash", "tab\there",
                                        "ctl\x01", "del\x7f",  "caf\xc3\xa9", ""};
  size_t checked = 0;
  for (unsigned bits = 0; bits < (1u << 11); ++bits) {
    Service s;
    s.name = "svc" + std::to_string(bits);
    s.ns = bits & 1 ? "shop" : "";
    if (bits & 2) s.created = 1764145000 + bits;
    if (bits & 4)
      s.labels = {{"app", odd[bits % odd.size()]}, {"z", "1"}, {odd[(bits / 3) % 7], "k"}};
    s.type = bits & 8 ? ServiceType::NodePort : ServiceType::ClusterIP;
    if (bits & 16) s.clusterIP = A(bits & 1 ? "10.96.0.10" : "fd00::a");
    s.ports = {{"", Protocol::TCP, 80, 8080, 0}};
    if (bits & 32)
      s.ports = {{"http", Protocol::TCP, 80, TargetPort("web"), uint16_t(bits & 8 ? 30080 : 0)},
                 {odd[bits % odd.size()], Protocol::SCTP, 53, 5353, 30053},
                 {"u", Protocol::UDP, 65535, 1, 0}};
    if (bits & 64) s.selector = {{"app", "web"}, {"tier", odd[(bits / 5) % odd.size()]}};
    if (bits & 128) {
      s.sessionAffinity = SessionAffinity::ClientIP;
      s.affinityTimeout = bits & 1 ? 86400 : 1;
    }
    if (bits & 256) {
      s.externalTrafficPolicy = TrafficPolicy::Local;
      s.internalTrafficPolicy = TrafficPolicy::Local;
      s.publishNotReadyAddresses = true;
    }
    if (bits & 1024) s.externalIPs = {A("203.0.113.10"), A("fd00::10")};
    if (bits & 512)
      s.endpoints = {{A("10.0.0.1"), 0, ""},
                     {A("10.0.0.2"), 8080, ""},
                     {A("fd00::1"), 9090, ""},
                     {A("10.0.0.3"), 0, "http"},
                     {A("10.0.0.4"), 81, odd[bits % odd.size()]}};
    ASSERT_EQ(to_json_text(s), to_json(s).dump()) << "bits " << bits;
    ++checked;
  }
  EXPECT_EQ(checked, 2048u);
  // Invalid UTF-8 is refused the same way (nlohmann's exception), not written.
  Service bad = full_service();
  bad.labels = {{"k", "\xff"}};
  EXPECT_THROW((void)to_json(bad).dump(), nlohmann::json::exception);
  EXPECT_THROW((void)to_json_text(bad), nlohmann::json::exception);
}

TEST(ServiceFields, DefaultsAndOlderShape) {
  auto s = service_from_json(json::parse(R"({"metadata": {"name": "db"},
      "spec": {"type": "NodePort", "ports": [{"port": 5432}]}})"));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->affinityTimeout, 10800);
  EXPECT_EQ(s->externalTrafficPolicy, TrafficPolicy::Cluster);
  EXPECT_EQ(s->internalTrafficPolicy, TrafficPolicy::Cluster);
  EXPECT_FALSE(s->publishNotReadyAddresses);
  EXPECT_EQ(s->created, 0);
  EXPECT_EQ(s->ports[0].targetPort, TargetPort(5432));
  // A targetPort written as a digit string is the number.
  auto d = service_from_json(json::parse(R"({"metadata": {"name": "db"},
      "spec": {"ports": [{"port": 80, "targetPort": "8080"}]}})"));
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->ports[0].targetPort, TargetPort(8080));
  // ClusterIP services do not write externalTrafficPolicy or the affinity config.
  json j = to_json(*d);
  EXPECT_FALSE(j["spec"].contains("externalTrafficPolicy"));
  EXPECT_FALSE(j["spec"].contains("sessionAffinityConfig"));
  EXPECT_FALSE(j["spec"].contains("publishNotReadyAddresses"));
}

TEST(ServiceFields, ExplicitEndpointsRoundTrip) {
  auto s = service_from_json(json::parse(R"({"metadata": {"name": "ext"},
      "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "m", "port": 9090}],
               "endpoints": ["10.1.1.1:8080", "10.1.1.2", "[fd00::1]:81", "fd00::2",
                             {"ip": "10.1.1.3", "port": 9999, "portName": "m"}]}})"));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->endpoints.size(), 5u);
  EXPECT_EQ(s->endpoints[0], (ExplicitEndpoint{A("10.1.1.1"), 8080, ""}));
  EXPECT_EQ(s->endpoints[1], (ExplicitEndpoint{A("10.1.1.2"), 0, ""}));
  EXPECT_EQ(s->endpoints[2], (ExplicitEndpoint{A("fd00::1"), 81, ""}));
  EXPECT_EQ(s->endpoints[3], (ExplicitEndpoint{A("fd00::2"), 0, ""}));
  EXPECT_EQ(s->endpoints[4], (ExplicitEndpoint{A("10.1.1.3"), 9999, "m"}));
  json j = to_json(*s);
  EXPECT_EQ(j["spec"]["endpoints"][0], "10.1.1.1:8080");
  EXPECT_EQ(j["spec"]["endpoints"][2], "[fd00::1]:81");
  EXPECT_EQ(j["spec"]["endpoints"][4]["portName"], "m");
  EXPECT_EQ(*service_from_json(j), *s);
}

TEST(ServiceFields, PodNamedPortsRoundTrip) {
  Pod p;
  p.name = "web-abcde";
  p.port = 80;
  p.portName = "web";
  p.extraPorts = {{"metrics", 9100}};
  json j = to_json(p);
  EXPECT_EQ(
      j["spec"]["containers"][0]["ports"],
      json::parse(
          R"([{"containerPort": 80, "name": "web"}, {"containerPort": 9100, "name": "metrics"}])"));
  EXPECT_EQ(*pod_from_json(j), p);
  EXPECT_EQ(named_port(p, "web"), 80);
  EXPECT_EQ(named_port(p, "metrics"), 9100);
  EXPECT_EQ(named_port(p, "dns"), std::nullopt);
  // The older unnamed shape is unchanged.
  Pod q;
  q.name = "x";
  q.port = 8080;
  EXPECT_EQ(to_json(q)["spec"]["containers"][0]["ports"],
            json::parse(R"([{"containerPort": 8080}])"));
  json dup = j;
  dup["spec"]["containers"][0]["ports"][1]["name"] = "web";
  EXPECT_EQ(pod_from_json(dup).error().message,
            "spec.containers[0].ports[1].name: \"web\" used twice");
}

struct Case {
  std::string pointer;
  json value;  // null: remove
  std::string message;
};

json patched(json j, const Case& c) {
  json::json_pointer ptr(c.pointer);
  if (c.value.is_null())
    j[ptr.parent_pointer()].erase(ptr.back());
  else
    j[ptr] = c.value;
  return j;
}

TEST(ServiceFields, ErrorsNameTheField) {
  const json good = to_json(full_service());
  const Case cases[] = {
      {"/metadata/creationTimestamp", "yesterday",
       "metadata.creationTimestamp: \"yesterday\" is not a UTC time (2006-01-02T15:04:05Z)"},
      {"/spec/sessionAffinityConfig/clientIP/timeoutSeconds", 0,
       "spec.sessionAffinityConfig.clientIP.timeoutSeconds: 0 must be in 1..86400"},
      {"/spec/sessionAffinityConfig/clientIP/timeoutSeconds", 86401,
       "spec.sessionAffinityConfig.clientIP.timeoutSeconds: 86401 must be in 1..86400"},
      {"/spec/sessionAffinityConfig/clientIP/timeoutSeconds", "1h",
       "spec.sessionAffinityConfig.clientIP.timeoutSeconds: must be an integer"},
      {"/spec/sessionAffinityConfig/clientIP", 5,
       "spec.sessionAffinityConfig.clientIP: must be an object"},
      {"/spec/externalTrafficPolicy", "Global",
       "spec.externalTrafficPolicy: unknown value \"Global\" (want one of Cluster, Local)"},
      {"/spec/internalTrafficPolicy", "Node",
       "spec.internalTrafficPolicy: unknown value \"Node\" (want one of Cluster, Local)"},
      {"/spec/publishNotReadyAddresses", "yes",
       "spec.publishNotReadyAddresses: must be true or false"},
      {"/spec/ports/0/targetPort", "Web",
       "spec.ports[0].targetPort: \"Web\" is not a port number or name (1-15 of a-z, 0-9, '-', "
       "with a letter)"},
      {"/spec/ports/0/targetPort", "a-very-long-port-name",
       "spec.ports[0].targetPort: \"a-very-long-port-name\" is not a port number or name (1-15 of "
       "a-z, 0-9, '-', with a letter)"},
      {"/spec/ports/0/targetPort", "",
       "spec.ports[0].targetPort: \"\" is not a port number or name (1-15 of a-z, 0-9, '-', with a "
       "letter)"},
      {"/spec/ports/0/targetPort", "70000", "spec.ports[0].targetPort: 70000 must be in 1..65535"},
      {"/spec/ports/0/targetPort", 0, "spec.ports[0].targetPort: 0 must be in 1..65535"},
      {"/spec/ports/1/nodePort", 30080, "spec.ports[1].nodePort: 30080/UDP used twice"},
      {"/spec/endpoints", json::array({"10.1.1.1"}),
       "spec.endpoints: only for a service without selector (the selector's pods are its "
       "endpoints)"},
      {"/spec/clusterIP", "0.0.0.0", "spec.clusterIP: 0.0.0.0 cannot be a service address"},
  };
  for (const auto& c : cases) {
    json j = patched(good, c);
    if (c.pointer == "/spec/ports/1/nodePort")
      j["spec"]["ports"][1]["protocol"] = "UDP", j["spec"]["ports"][0]["protocol"] = "UDP";
    auto r = service_from_json(j);
    ASSERT_FALSE(r.has_value()) << c.pointer << " " << c.value;
    EXPECT_EQ(r.error().message, c.message) << c.pointer;
  }
  // externalTrafficPolicy Local is refused on a ClusterIP service (Cluster is tolerated).
  json cip = good;
  cip["spec"]["type"] = "ClusterIP";
  for (auto& p : cip["spec"]["ports"]) p.erase("nodePort");
  EXPECT_EQ(service_from_json(cip).error().message,
            "spec.externalTrafficPolicy: Local is only for NodePort services");
  cip["spec"]["externalTrafficPolicy"] = "Cluster";
  EXPECT_TRUE(service_from_json(cip).has_value());
  // One nodePort for TCP and UDP of one service is fine.
  json both = good;
  both["spec"]["ports"][1]["nodePort"] = 30080;
  EXPECT_TRUE(service_from_json(both).has_value());
}

TEST(ServiceFields, ExternalIPs) {
  auto s = service_from_json(json::parse(R"({"metadata": {"name": "web"},
      "spec": {"externalIPs": ["203.0.113.10", "203.0.113.11"], "ports": [{"port": 80}]}})"));
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->externalIPs, (std::vector<net::IpAddress>{A("203.0.113.10"), A("203.0.113.11")}));
  EXPECT_EQ(to_json(*s)["spec"]["externalIPs"], json::parse(R"(["203.0.113.10", "203.0.113.11"])"));
  EXPECT_FALSE(to_json(Service{.name = "x", .ports = {{"", Protocol::TCP, 80, 80, 0}}})["spec"]
                   .contains("externalIPs"));
  // null is kubectl's "none".
  auto none = service_from_json(json::parse(R"({"metadata": {"name": "web"},
      "spec": {"externalIPs": null, "ports": [{"port": 80}]}})"));
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_TRUE(none->externalIPs.empty());
  auto err = [](const char* spec) {
    auto r = service_from_json(json::parse(
        std::string(R"({"metadata": {"name": "web"}, "spec": )") + spec + "}"));
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_EQ(err(R"({"externalIPs": "203.0.113.10", "ports": [{"port": 80}]})"),
            "spec.externalIPs: must be an array of IP addresses");
  EXPECT_EQ(err(R"({"externalIPs": [7], "ports": [{"port": 80}]})"),
            "spec.externalIPs[0]: must be an IP address");
  EXPECT_EQ(err(R"({"externalIPs": ["203.0.113.300"], "ports": [{"port": 80}]})").find(
                "spec.externalIPs[0]: "),
            0u);
  EXPECT_EQ(err(R"({"externalIPs": ["127.0.0.1"], "ports": [{"port": 80}]})"),
            "spec.externalIPs[0]: 127.0.0.1 cannot be an external IP");
  EXPECT_EQ(err(R"({"externalIPs": ["1.2.3.4", "0.0.0.0"], "ports": [{"port": 80}]})"),
            "spec.externalIPs[1]: 0.0.0.0 cannot be an external IP");
  EXPECT_EQ(err(R"({"externalIPs": ["224.0.0.1"], "ports": [{"port": 80}]})"),
            "spec.externalIPs[0]: 224.0.0.1 cannot be an external IP");
  EXPECT_EQ(err(R"({"externalIPs": ["1.2.3.4", "1.2.3.4"], "ports": [{"port": 80}]})"),
            "spec.externalIPs[1]: 1.2.3.4 listed twice");
  EXPECT_EQ(err(R"({"clusterIP": "10.96.0.9", "externalIPs": ["10.96.0.9"], "ports": [{"port": 80}]})"),
            "spec.externalIPs[0]: 10.96.0.9 is the service's clusterIP");
  EXPECT_EQ(err(R"({"type": "NodePort", "externalTrafficPolicy": "Local",
                    "externalIPs": ["1.2.3.4"], "ports": [{"port": 80}]})"),
            "spec.externalIPs: not with externalTrafficPolicy Local (podnet serves external IPs "
            "as policy Cluster)");
}

TEST(ServiceFields, ExplicitEndpointErrors) {
  json base = json::parse(R"({"metadata": {"name": "ext"},
      "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "web"}, {"name": "m", "port": 9090}]}})");
  const std::pair<json, std::string> cases[] = {
      {json::array({"10.1.1"}), "spec.endpoints[0]: \"10.1.1\" is not IP, IP:PORT or [IPv6]:PORT"},
      {json::array({"10.1.1.1:"}),
       "spec.endpoints[0]: \"10.1.1.1:\" is not IP, IP:PORT or [IPv6]:PORT"},
      {json::array({"10.1.1.1:http"}),
       "spec.endpoints[0]: \"10.1.1.1:http\" is not IP, IP:PORT or [IPv6]:PORT"},
      {json::array({"10.1.1.1:70000"}), "spec.endpoints[0]: port 70000 must be in 1..65535"},
      {json::array({"[fd00::1]"}),
       "spec.endpoints[0]: \"[fd00::1]\" is not IP, IP:PORT or [IPv6]:PORT"},
      {json::array({"10.1.1.1:80", 5}),
       "spec.endpoints[1]: must be \"IP[:PORT]\" or an object {ip, port, portName}"},
      {json::array({"10.1.1.1"}),
       "spec.endpoints[0]: needs a port (spec.ports[0].targetPort \"web\" is a name)"},
      {json::array({"224.0.0.1:80"}), "spec.endpoints[0]: 224.0.0.1 cannot be an endpoint"},
      {json::parse(R"([{"ip": "10.1.1.1", "portName": "x", "port": 80}])"),
       "spec.endpoints[0].portName: \"x\" is not a port of this service"},
      {json::parse(R"([{"ip": "10.1.1.1", "portName": "http"}])"),
       "spec.endpoints[0]: needs a port (spec.ports[0].targetPort \"web\" is a name)"},
      {json::parse(R"([{"port": 80}])"), "spec.endpoints[0].ip: missing"},
      {json::object(), "spec.endpoints: must be an array"},
  };
  for (const auto& [eps, msg] : cases) {
    json j = base;
    j["spec"]["endpoints"] = eps;
    auto r = service_from_json(j);
    ASSERT_FALSE(r.has_value()) << eps;
    EXPECT_EQ(r.error().message, msg);
  }
  json ok = base;
  ok["spec"]["endpoints"] =
      json::parse(R"(["10.1.1.1:8080", {"ip": "10.1.1.2", "portName": "m"}])");
  EXPECT_TRUE(service_from_json(ok).has_value());
}

TEST(ServiceFields, ValidateHandBuiltServices) {
  Service s;
  s.name = "web";
  EXPECT_EQ(validate(s).error().message, "spec.ports: missing (want a non-empty array)");
  s.ports = {{"", Protocol::TCP, 0, 80, 0}};
  EXPECT_EQ(validate(s).error().message, "spec.ports[0].port: 0 must be in 1..65535");
  s.ports = {{"", Protocol::TCP, 80, 80, 0}};
  EXPECT_TRUE(validate(s).has_value());
  s.ns = "";
  EXPECT_EQ(validate(s).error().message, "metadata.namespace: must not be empty");
}

TEST(ServiceFields, ValidateAgainstClusterConfig) {
  ClusterConfig c;  // 10.96.0.0/12, 30000-32767
  Service s = full_service();
  EXPECT_TRUE(validate_service(s, c).has_value());
  s.clusterIP = A("10.0.0.1");
  EXPECT_EQ(validate_service(s, c).error().message,
            "spec.clusterIP: 10.0.0.1 is outside the service CIDR 10.96.0.0/12");
  s.clusterIP = A("10.96.0.0");
  EXPECT_EQ(validate_service(s, c).error().message,
            "spec.clusterIP: 10.96.0.0 is the network address of the service CIDR 10.96.0.0/12");
  s.clusterIP = A("10.111.255.255");
  EXPECT_EQ(
      validate_service(s, c).error().message,
      "spec.clusterIP: 10.111.255.255 is the broadcast address of the service CIDR 10.96.0.0/12");
  s.clusterIP = A("fd00::1");
  EXPECT_EQ(validate_service(s, c).error().message,
            "spec.clusterIP: fd00::1 is outside the service CIDR 10.96.0.0/12");
  s.clusterIP = A("10.111.255.254");
  s.ports[1].nodePort = 40000;
  EXPECT_EQ(validate_service(s, c).error().message,
            "spec.ports[1].nodePort: 40000 is outside the NodePort range 30000-32767");
  s.ports[1].nodePort = 29999;
  EXPECT_EQ(validate_service(s, c).error().message,
            "spec.ports[1].nodePort: 29999 is outside the NodePort range 30000-32767");
  s.ports[1].nodePort = 32767;
  EXPECT_TRUE(validate_service(s, c).has_value());
  s.ports[1].nodePort = 30000;
  EXPECT_TRUE(validate_service(s, c).has_value());
}

}  // namespace
}  // namespace podnet::cluster
