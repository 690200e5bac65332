// get events table and objects, the describe Events section, describe pod|node|deployment.
#include <gtest/gtest.h>

#include "core/describe_text.hpp"
#include "core/describe_view.hpp"
#include "core/event_view.hpp"
#include "core/listing.hpp"

namespace podnet::ctl {
namespace {

constexpr int64_t t0 = 1764702317;  // 2025-12-02T19:05:17Z

cluster::StoredEvent ev(cluster::ObjectRef obj, std::string reason, std::string message,
                        cluster::EventSource src, int64_t at, int64_t rev,
                        cluster::EventType type = cluster::EventType::Normal) {
  cluster::Event e{.involved = std::move(obj),
                   .type = type,
                   .reason = std::move(reason),
                   .message = std::move(message),
                   .source = std::move(src),
                   .count = 1,
                   .first = at,
                   .last = at};
  return {e, cluster::event_key(e), rev};
}

std::vector<cluster::StoredEvent> pod_events() {
  const auto pod = cluster::pod_ref("default", "web-x4k2p");
  return {ev(pod, "Scheduled", "Successfully assigned default/web-x4k2p to lxb001",
             {"default-scheduler", ""}, t0, 10),
          ev(pod, "SandboxCreated", "Created pod sandbox 0123456789ab (netns lab-pod-x)",
             {"kubelet", "lxb001"}, t0 + 1, 11),
          ev(pod, "AddedInterface", "CNI ADD eth0 done in 14 ms: IP 192.168.1.2",
             {"kubelet", "lxb001"}, t0 + 1, 12)};
}

TEST(CtlEventView, TableAsKubectlGetEvents) {
  auto events = pod_events();
  events.push_back(ev(cluster::node_ref("lxb001"), "RouteAdded",
                      "Route to node lxb002 added: 192.168.2.0/24 via 10.1.1.3",
                      {"podnetd", "lxb001"}, t0 - 200, 3));
  events.back().event.count = 3;
  events.back().event.first = t0 - 600;
  cluster::sort_by_last_seen(events);
  EXPECT_EQ(events_table(events, t0 + 5, false),
            "LAST SEEN             TYPE     REASON           OBJECT          MESSAGE\n"
            "3m25s (x3 over 10m)   Normal   RouteAdded       node/lxb001     Route to node lxb002 "
            "added: 192.168.2.0/24 via 10.1.1.3\n"
            "5s                    Normal   Scheduled        pod/web-x4k2p   Successfully assigned "
            "default/web-x4k2p to lxb001\n"
            "4s                    Normal   SandboxCreated   pod/web-x4k2p   Created pod sandbox "
            "0123456789ab (netns lab-pod-x)\n"
            "4s                    Normal   AddedInterface   pod/web-x4k2p   CNI ADD eth0 done in 14 "
            "ms: IP 192.168.1.2\n");
}

TEST(CtlEventView, AllNamespacesAndWatchLine) {
  auto e = ev(cluster::deployment_ref("shop", "web"), "ScalingReplicaSet",
              "Scaled up deployment web to 2", {"deployment-controller", ""}, t0, 1);
  EXPECT_EQ(events_table({e}, t0 + 30, true),
            "NAMESPACE   LAST SEEN   TYPE     REASON              OBJECT           MESSAGE\n"
            "shop        30s         Normal   ScalingReplicaSet   deployment/web   Scaled up "
            "deployment web to 2\n");
  EXPECT_EQ(
      event_watch_line(e, t0 + 30, false),
      "30s         Normal   ScalingReplicaSet   deployment/web   Scaled up deployment web to 2\n");
}

TEST(CtlEventView, ObjectOutputIsAV1Event) {
  auto e = pod_events()[0];
  auto j = event_object(e);
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["kind"], "Event");
  EXPECT_EQ(j["involvedObject"]["name"], "web-x4k2p");
  auto yaml = format_objects({j}, ListFormat::yaml, "event", true);
  EXPECT_NE(yaml.find("apiVersion: v1\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("involvedObject:\n  kind: Pod\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("lastTimestamp: 2025-12-02T19:05:17Z\n"), std::string::npos) << yaml;
  EXPECT_EQ(format_objects({j}, ListFormat::name, "event", false),
            "event/" + cluster::event_name(e.event) + "\n");
}

TEST(CtlEventView, WithoutHeaderKeepsTheRows) {
  EXPECT_EQ(without_header("NAME   AGE\nweb    5s\n"), "web    5s\n");
  EXPECT_EQ(without_header("NAME\n"), "");
  EXPECT_EQ(without_header(""), "");
}

TEST(CtlDescribe, EventsSectionAsKubectlDescribe) {
  DescribeText d{.column = 18, .out = {}};
  d.events({}, t0);
  EXPECT_EQ(d.out, "Events:           <none>\n");
  d.out.clear();
  auto events = pod_events();
  events[2].event.count = 4;
  events[2].event.first = t0 - 100;
  d.events(events, t0 + 20);
  EXPECT_EQ(d.out,
            "Events:\n"
            "  Type    Reason          Age               From               Message\n"
            "  ----    ------          ----              ----               -------\n"
            "  Normal  Scheduled       20s               default-scheduler  Successfully "
            "assigned default/web-x4k2p to lxb001\n"
            "  Normal  SandboxCreated  19s               kubelet, lxb001    Created pod sandbox "
            "0123456789ab (netns lab-pod-x)\n"
            "  Normal  AddedInterface  19s (x4 over 2m)  kubelet, lxb001    CNI ADD eth0 done "
            "in 14 ms: IP 192.168.1.2\n");
}

TEST(CtlDescribe, EventFromAndTime) {
  EXPECT_EQ(event_from({"kubelet", "lxb001"}), "kubelet, lxb001");
  EXPECT_EQ(event_from({"default-scheduler", ""}), "default-scheduler");
  EXPECT_EQ(event_from({}), "<unknown>");
  EXPECT_EQ(describe_time(t0), "Tue, 02 Dec 2025 19:05:17 +0000");
  EXPECT_EQ(describe_time(0), "<unknown>");
}

cluster::Pod running_pod() {
  cluster::Pod p;
  p.name = "web-x4k2p";
  p.labels = {{"app", "web"}};
  p.created = t0;
  p.owner = "web";
  p.node = "lxb001";
  p.port = 80;
  p.podIP = *net::IpAddress::parse("192.168.1.2");
  p.containerID = "0123456789abcdef";
  p.phase = cluster::PodPhase::Running;
  p.ready = true;
  return p;
}

cluster::Node node1() {
  return cluster::Node{.name = "lxb001",
                       .internalIP = *net::IpAddress::parse("10.1.1.2"),
                       .podCIDR = *net::Prefix::parse("192.168.1.0/24"),
                       .vtepMAC = "aa:bb:cc:dd:ee:01",
                       .heartbeat = t0};
}

TEST(CtlDescribe, PodInKubectlsLayout) {
  EXPECT_EQ(describe_pod(running_pod(), node1(), pod_events(), t0 + 20),
            "Name:             web-x4k2p\n"
            "Namespace:        default\n"
            "Priority:         0\n"
            "Service Account:  default\n"
            "Node:             lxb001/10.1.1.2\n"
            "Start Time:       Tue, 02 Dec 2025 19:05:17 +0000\n"
            "Labels:           app=web\n"
            "Annotations:      <none>\n"
            "Status:           Running\n"
            "IP:               192.168.1.2\n"
            "IPs:\n"
            "  IP:  192.168.1.2\n"
            "Controlled By:  Deployment/web\n"
            "Containers:\n"
            "  app:\n"
            "    Container ID:   podnet://0123456789abcdef\n"
            "    Image:          podnet-lab/http (built in)\n"
            "    Port:           80/TCP\n"
            "    Host Port:      0/TCP\n"
            "    State:          Running\n"
            "    Ready:          True\n"
            "    Restart Count:  0\n"
            "    Environment:    <none>\n"
            "Conditions:\n"
            "  Type                       Status\n"
            "  PodReadyToStartContainers  True\n"
            "  Initialized                True\n"
            "  Ready                      True\n"
            "  ContainersReady            True\n"
            "  PodScheduled               True\n"
            "Events:\n"
            "  Type    Reason          Age   From               Message\n"
            "  ----    ------          ----  ----               -------\n"
            "  Normal  Scheduled       20s   default-scheduler  Successfully assigned "
            "default/web-x4k2p to lxb001\n"
            "  Normal  SandboxCreated  19s   kubelet, lxb001    Created pod sandbox 0123456789ab "
            "(netns lab-pod-x)\n"
            "  Normal  AddedInterface  19s   kubelet, lxb001    CNI ADD eth0 done in 14 ms: IP "
            "192.168.1.2\n");
}

TEST(CtlDescribe, PendingPodSaysWhy) {
  cluster::Pod p = running_pod();
  p.node.clear();
  p.podIP.reset();
  p.containerID.clear();
  p.phase = cluster::PodPhase::Pending;
  p.reason = "ContainerCreating";
  p.ready = false;
  auto text = describe_pod(p, std::nullopt, {}, t0);
  EXPECT_NE(text.find("Node:             <none>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Status:           Pending\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Reason:           ContainerCreating\n"), std::string::npos) << text;
  EXPECT_NE(text.find("IPs:              <none>\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nIP:\n"), std::string::npos) << "no trailing blanks: " << text;
  EXPECT_NE(text.find("    Container ID:\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    State:          Waiting\n      Reason:       ContainerCreating\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  PodScheduled               False\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("Events:           <none>\n")) << text;
}

TEST(CtlDescribe, NodeListsItsPodsAndEvents) {
  auto other = running_pod();
  other.name = "db-aaaaa";
  other.node = "lxb002";
  auto route =
      ev(cluster::node_ref("lxb001"), "RouteAdded",
         "Route to node lxb002 added: 192.168.2.0/24 via 10.1.1.3", {"podnetd", "lxb001"}, t0, 1);
  auto text =
      describe_node(node1(), {running_pod(), other}, cluster::BackendType::vxlan, {route}, t0 + 60);
  EXPECT_EQ(text,
            "Name:               lxb001\n"
            "Roles:              <none>\n"
            "Labels:             kubernetes.io/hostname=lxb001\n"
            "Annotations:        podnet.io/backend: vxlan\n"
            "                    podnet.io/vtep-mac: aa:bb:cc:dd:ee:01\n"
            "Unschedulable:      false\n"
            "Lease:\n"
            "  HolderIdentity:  lxb001\n"
            "  RenewTime:       Tue, 02 Dec 2025 19:05:17 +0000\n"
            "Addresses:\n"
            "  InternalIP:  10.1.1.2\n"
            "  Hostname:    lxb001\n"
            "PodCIDR:            192.168.1.0/24\n"
            "PodCIDRs:           192.168.1.0/24\n"
            "Non-terminated Pods:  (1 in total)\n"
            "  Namespace  Name       IP           Age\n"
            "  ---------  ----       --           ---\n"
            "  default    web-x4k2p  192.168.1.2  60s\n"
            "Events:\n"
            "  Type    Reason      Age   From             Message\n"
            "  ----    ------      ----  ----             -------\n"
            "  Normal  RouteAdded  60s   podnetd, lxb001  Route to node lxb002 added: "
            "192.168.2.0/24 via 10.1.1.3\n");
}

TEST(CtlDescribe, DeploymentCountsItsPods) {
  cluster::Deployment d;
  d.name = "web";
  d.labels = d.selector = {{"app", "web"}};
  d.created = t0;
  d.replicas = 3;
  d.port = 8080;
  auto notready = running_pod();
  notready.name = "web-bbbbb";
  notready.ready = false;
  auto scaled = ev(cluster::deployment_ref("default", "web"), "ScalingReplicaSet",
                   "Scaled up deployment web to 3", {"deployment-controller", ""}, t0, 1);
  auto text = describe_deployment(d, {running_pod(), notready}, {scaled}, t0 + 3);
  EXPECT_EQ(
      text,
      "Name:                   web\n"
      "Namespace:              default\n"
      "CreationTimestamp:      Tue, 02 Dec 2025 19:05:17 +0000\n"
      "Labels:                 app=web\n"
      "Annotations:            <none>\n"
      "Selector:               app=web\n"
      "Replicas:               3 desired | 2 updated | 2 total | 1 available | 2 unavailable\n"
      "StrategyType:           Recreate\n"
      "MinReadySeconds:        0\n"
      "Pod Template:\n"
      "  Labels:  app=web\n"
      "  Containers:\n"
      "   app:\n"
      "    Image:        podnet-lab/http (built in)\n"
      "    Port:         8080/TCP\n"
      "    Environment:  <none>\n"
      "Conditions:\n"
      "  Type       Status  Reason\n"
      "  ----       ------  ------\n"
      "  Available  False   MinimumReplicasUnavailable\n"
      "Events:\n"
      "  Type    Reason             Age   From                   Message\n"
      "  ----    ------             ----  ----                   -------\n"
      "  Normal  ScalingReplicaSet  3s    deployment-controller  Scaled up deployment web "
      "to 3\n");
}

}  // namespace
}  // namespace podnet::ctl
