// inspect node's pods section: the wiring mode from the conflist and, in bridge mode, what is
// wrong with the bridge.
#include <gtest/gtest.h>

#include "core/node_inspect_view.hpp"
#include "core/pod_wiring_view.hpp"

namespace podnet::ctl {
namespace {

PodWiring healthy_bridge() {
  return PodWiring{.conflist = "/run/podnet-lab/l/nodes/lxb001/net.d/10-podnet.conflist",
                   .mode = "bridge",
                   .pods = 2,
                   .bridge = "podnet0",
                   .exists = true,
                   .up = true,
                   .mac = "02:00:00:00:01:01",
                   .addresses = {"192.168.1.1/24"},
                   .gateway = "192.168.1.1/24",
                   .ports = 2,
                   .forwarding = 2,
                   .netfilter = true};
}

TEST(PodWiringView, HealthyBridge) {
  const auto w = healthy_bridge();
  EXPECT_TRUE(pod_wiring_problems(w).empty());
  EXPECT_EQ(pod_wiring_text(w),
            "  pods       bridge mode: bridge podnet0  mac 02:00:00:00:01:01  192.168.1.1/24  UP  "
            "br_netfilter on: as planned\n"
            "             2 ports (2 forwarding) for 2 pods\n");
  auto j = pod_wiring_json(w);
  EXPECT_EQ(j["mode"], "bridge");
  EXPECT_EQ(j["bridge"]["forwarding"], 2);
  EXPECT_EQ(j["bridge"]["netfilter"], true);
  EXPECT_TRUE(j["problems"].empty());
}

TEST(PodWiringView, BrokenBridge) {
  auto w = healthy_bridge();
  w.up = false;
  w.addresses.clear();
  w.forwarding = 1;
  w.netfilter.reset();
  EXPECT_EQ(pod_wiring_problems(w),
            (std::vector<std::string>{
                "bridge podnet0 is DOWN", "bridge podnet0 lacks the pods' gateway 192.168.1.1/24",
                "2 pods here but 1 forwarding port on podnet0: a pod's host veth is detached or "
                "down"}));
  const auto text = pod_wiring_text(w);
  EXPECT_NE(text.find("DOWN  br_netfilter absent: NOT as planned"), std::string::npos) << text;
  EXPECT_EQ(pod_wiring_json(w)["bridge"]["netfilter"], nullptr);
}

TEST(PodWiringView, BridgeMadeByTheFirstPod) {
  auto w = healthy_bridge();
  w.exists = false;
  w.pods = 0;
  EXPECT_TRUE(pod_wiring_problems(w).empty());
  EXPECT_EQ(pod_wiring_text(w),
            "  pods       bridge mode: bridge podnet0 not made yet (the first pod's CNI ADD makes "
            "it)\n");
  w.pods = 1;
  EXPECT_EQ(pod_wiring_problems(w),
            std::vector<std::string>{"bridge podnet0 MISSING (1 pod here)"});
}

TEST(PodWiringView, PtpAndUnreadable) {
  PodWiring ptp{.conflist = "c", .mode = "ptp", .pods = 3};
  EXPECT_TRUE(pod_wiring_problems(ptp).empty());
  EXPECT_EQ(pod_wiring_text(ptp), "  pods       ptp mode: each pod's host veth routed (3 pods)\n");
  EXPECT_FALSE(pod_wiring_json(ptp).contains("bridge"));
  PodWiring bad{.conflist = "c", .error = "c: No such file or directory"};
  EXPECT_EQ(pod_wiring_text(bad), "  pods       UNREADABLE: c: No such file or directory\n");
  EXPECT_EQ(pod_wiring_problems(bad).size(), 1u);
}

TEST(PodWiringView, DecidesTheNodesMatch) {
  NodeInspection n{.node = "lxb001"};
  EXPECT_TRUE(node_matches(n));  // not looked at: no section, no mismatch
  EXPECT_EQ(pod_wiring_text(n.pods), "");
  n.pods = healthy_bridge();
  EXPECT_TRUE(node_matches(n));
  n.pods.forwarding = 1;
  EXPECT_FALSE(node_matches(n));
  EXPECT_EQ(inspect_node_json(n)["pods"]["problems"].size(), 1u);
}

}  // namespace
}  // namespace podnet::ctl
