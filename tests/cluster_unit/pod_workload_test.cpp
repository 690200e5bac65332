// The pod fields the lab's kubelet and `get pods -o wide` use.
#include <gtest/gtest.h>

#include "podnet/cluster/objects.hpp"

namespace podnet::cluster {
namespace {

using nlohmann::json;

Pod lab_pod() {
  Pod p;
  p.name = "web-7xk2p";
  p.labels = {{"app", "web"}};
  p.created = 1764150231;
  p.owner = "web";
  p.node = "lxb002";
  p.port = 80;
  p.podIP = *net::IpAddress::parse("192.168.1.2");
  p.containerID = "c0ffee";
  p.phase = PodPhase::Running;
  p.ready = true;
  p.restartCount = 2;
  return p;
}

TEST(PodWorkload, RoundTripAndShape) {
  Pod p = lab_pod();
  json j = to_json(p);
  EXPECT_EQ(j, json::parse(R"({"metadata": {"name": "web-7xk2p", "namespace": "default",
      "labels": {"app": "web"}, "creationTimestamp": "2025-11-26T09:43:51Z",
      "ownerReferences": [{"kind": "Deployment", "name": "web"}]},
      "spec": {"nodeName": "lxb002", "containers": [{"name": "app",
               "ports": [{"containerPort": 80}]}]},
      "status": {"phase": "Running", "podIP": "192.168.1.2", "containerID": "c0ffee",
                 "containerStatuses": [{"name": "app", "ready": true, "restartCount": 2}]}})"));
  EXPECT_EQ(*pod_from_json(j), p);
  p.phase = PodPhase::Pending;
  p.reason = "ContainerCreating";
  p.ready = false;
  p.restartCount = 0;
  j = to_json(p);
  EXPECT_EQ(j["status"], json::parse(R"({"phase": "Pending", "reason": "ContainerCreating",
      "podIP": "192.168.1.2", "containerID": "c0ffee"})"));
  EXPECT_EQ(*pod_from_json(j), p);
}

TEST(PodWorkload, ErrorsNameTheField) {
  const json good = to_json(lab_pod());
  struct Case {
    const char* pointer;
    json value;
    const char* message;
  } cases[] = {
      {"/metadata/creationTimestamp", 5, "metadata.creationTimestamp: must be a string"},
      {"/metadata/ownerReferences", json::object(), "metadata.ownerReferences: must be an array"},
      {"/metadata/ownerReferences/0/name", "W",
       "metadata.ownerReferences[0].name: \"W\" is not a DNS-1123 label (only a-z, 0-9 and '-' "
       "allowed)"},
      {"/spec/containers/0/ports/0/containerPort", 0,
       "spec.containers[0].ports[0].containerPort: 0 must be in 1..65535"},
      {"/status/containerStatuses/0/ready", "yes",
       "status.containerStatuses[0].ready: must be true or false"},
      {"/status/containerStatuses/0/restartCount", -1,
       "status.containerStatuses[0].restartCount: -1 must not be negative"},
      {"/status/reason", 1, "status.reason: must be a string"},
  };
  for (const auto& c : cases) {
    json j = good;
    j[json::json_pointer(c.pointer)] = c.value;
    auto r = pod_from_json(j);
    ASSERT_FALSE(r.has_value()) << c.pointer;
    EXPECT_EQ(r.error().message, c.message);
  }
}

}  // namespace
}  // namespace podnet::cluster
