// Bridge-mode labs (`lab up --mode bridge`: pods' host veths are ports of the node bridge
// podnet0, which holds their gateway), one per backend: pods reach each other, Services and
// their nodes; trace shows pods of one node switched by the bridge (L2), the gateway hop up to
// the node's IP stack and the far node's bridge, and a pod's host veth detached from the bridge
// or set down as the drop at its node (exit 1); inspect node/pod and graph say how pods are
// wired. One lab per backend serves all tests of its suite; tests that break something put it
// back.
#include "trace_lab.hpp"

namespace podnet::testing {
namespace {

class BridgeTest : public LabTest {
 protected:
  // The pod's host veth in its node's netns: the link eth0's peer index names.
  std::string host_veth(const PodInfo& p) const {
    std::string eth0;
    sh(fmt::format("ip -n {} -o link show eth0", on_->netns("pod-" + p.name)), &eth0);
    const auto at = eth0.find("@if");
    if (at == std::string::npos) return "";
    const std::string index = eth0.substr(at + 3, eth0.find(':', at) - at - 3);
    std::string host;
    sh(fmt::format("ip -n {} -o link show | grep '^{}: '", on_->netns(p.node), index), &host);
    const auto name_at = host.find(": ") + 2;
    return host.substr(name_at, host.find_first_of("@:", name_at) - name_at);
  }

  void same_node_is_switched() {
    nlohmann::json j;
    std::string text;
    ASSERT_EQ(on_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.b.name), &j, &text), 0)
        << text;
    EXPECT_EQ(steps(j), "route veth bridge veth deliver") << text;
    const auto& hops = j["predicted"]["hops"];
    EXPECT_EQ(hops[2]["where"], "node/" + p_.a.node);
    EXPECT_NE(hops[2]["what"].get<std::string>().find(fmt::format(
                  "switched (L2) by podnet0: {} -> {}", host_veth(p_.a), host_veth(p_.b))),
              std::string::npos)
        << text;
    EXPECT_EQ(verdict(j)["where"], "pod/" + p_.b.name);
    EXPECT_TRUE(probed(j)) << text;
    // The probe saw the frame switched between the two ports by the bridge.
    bool bridged = false;
    for (const auto& e : j["probe"]["events"])
      bridged = bridged ||
                (e.value("family", "") == "bridge" && e.value("hook", "") == "forward" &&
                 e.value("iif", "") == host_veth(p_.a) && e.value("oif", "") == host_veth(p_.b));
    EXPECT_TRUE(bridged) << text;
  }
  void node_to_pod() {
    nlohmann::json j;
    std::string text;
    ASSERT_EQ(on_->trace(fmt::format("{} {}", p_.a.node, p_.b.name), &j, &text), 0) << text;
    EXPECT_EQ(steps(j), "route bridge veth deliver") << text;
    EXPECT_NE(j["predicted"]["hops"][0]["decidedBy"].get<std::string>().find("dev podnet0"),
              std::string::npos)
        << text;
    EXPECT_TRUE(probed(j)) << text;
  }
  void pod_to_cluster_ip() {
    nlohmann::json j;
    std::string text;
    ASSERT_EQ(on_->trace(fmt::format("{} svc/web", p_.a.name), &j, &text), 0) << text;
    EXPECT_TRUE(steps(j).starts_with("route veth bridge dnat route ")) << text;
    EXPECT_NE(j["predicted"]["hops"][2]["what"].get<std::string>().find("up to node/" + p_.a.node +
                                                                        "'s IP stack"),
              std::string::npos)
        << text;
    EXPECT_TRUE(verdict(j)["delivered"].get<bool>()) << text;
    EXPECT_TRUE(probed(j)) << text;
  }
};

// ---- VXLAN lab in bridge mode

class BridgeVxlan : public OnLab<BridgeTest, VxlanBridgeLab> {};

TEST_F(BridgeVxlan, LabSaysItsMode) {
  std::string out;
  ASSERT_EQ(lab_->ctl("lab status", &out), 0) << out;
  EXPECT_NE(out.find("backend vxlan, bridge mode"), std::string::npos) << out;
  // podnetd was told so: the conflist it wrote has the plugin attach pods to podnet0.
  ASSERT_EQ(sh(fmt::format("ip -n {} -d link show podnet0", lab_->netns(p_.a.node)), &out), 0);
  EXPECT_NE(out.find("bridge forward_delay"), std::string::npos) << out;
  // The plugin's bridge lets the node's ip hooks see switched frames (Service replies).
  EXPECT_NE(out.find("nf_call_iptables 1"), std::string::npos) << out;
}

TEST_F(BridgeVxlan, PodsReachEachOtherTheirServiceAndNodes) {
  std::string out;
  for (const auto& to : {p_.b, p_.far}) {
    ASSERT_EQ(lab_->ctl(fmt::format("exec {} -- curl -s -m 5 http://{}/", p_.a.name, to.ip), &out),
              0)
        << out;
    EXPECT_NE(out.find("pod " + to.name), std::string::npos) << out;
  }
  for (const auto& n : {"lxb001", "lxb002"}) {
    ASSERT_EQ(lab_->ctl(fmt::format("exec --node {} -- curl -s -m 5 http://{}/", n, p_.b.ip), &out),
              0)
        << n << ": " << out;
  }
  // Through the ClusterIP, whichever endpoint it picks (one on the client's own bridge among
  // them), also with the node's br_netfilter sysctl off: podnet0's own switch keeps the replies
  // of a pod on the same bridge going through conntrack.
  for (int off = 0; off < 2; ++off) {
    if (off) {
      ASSERT_EQ(sh(fmt::format("ip netns exec {} sysctl -qw net.bridge.bridge-nf-call-iptables=0",
                               lab_->netns(p_.a.node))),
                0);
    }
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(
          lab_->ctl(fmt::format("exec {} -- curl -s -m 5 http://{}/", p_.a.name, lab_->cluster_ip),
                    &out),
          0)
          << (off ? "sysctl off: " : "") << out;
  }
  sh(fmt::format("ip netns exec {} sysctl -qw net.bridge.bridge-nf-call-iptables=1",
                 lab_->netns(p_.a.node)));
}

TEST_F(BridgeVxlan, PodToPodSameNodeIsSwitched) {
  same_node_is_switched();
}

TEST_F(BridgeVxlan, PodToPodAcrossNodes) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.far.name), &j, &text), 0)
      << text;
  EXPECT_EQ(steps(j), "route veth bridge route vxlan underlay vxlan route bridge veth deliver")
      << text;
  const auto& hops = j["predicted"]["hops"];
  EXPECT_NE(hops[2]["decidedBy"].get<std::string>().find("dev podnet0 master podnet0 permanent"),
            std::string::npos)
      << text;
  EXPECT_NE(hops[3]["decidedBy"].get<std::string>().find("dev podnet.1 proto 80 onlink"),
            std::string::npos)
      << text;
  EXPECT_EQ(hops[8]["where"], "node/" + p_.far.node);
  EXPECT_EQ(hops[8]["step"], "bridge");
  EXPECT_EQ(verdict(j)["where"], "pod/" + p_.far.name);
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(BridgeVxlan, NodeToPod) {
  node_to_pod();
}

TEST_F(BridgeVxlan, PodToClusterIp) {
  pod_to_cluster_ip();
}

TEST_F(BridgeVxlan, SameNodeWithoutBrNetfilterOnTheNode) {
  // The bridge's own nf_call_iptables and the namespace's sysctl both off: the node's ip hooks
  // never see the switched frame; the bridge family still does, the verdict is the same.
  const std::string node_ns = lab_->netns(p_.a.node);
  sh(fmt::format("ip netns exec {} sysctl -qw net.bridge.bridge-nf-call-iptables=0", node_ns));
  sh(fmt::format("ip -n {} link set podnet0 type bridge nf_call_iptables 0", node_ns));
  nlohmann::json j;
  std::string text;
  const int rc = lab_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.b.name), &j, &text);
  sh(fmt::format("ip -n {} link set podnet0 type bridge nf_call_iptables 1", node_ns));
  sh(fmt::format("ip netns exec {} sysctl -qw net.bridge.bridge-nf-call-iptables=1", node_ns));
  ASSERT_EQ(rc, 0) << text;
  EXPECT_NE(j["predicted"]["hops"][2]["what"].get<std::string>().find(
                "the node's ip hooks do not see it (br_netfilter off)"),
            std::string::npos)
      << text;
  EXPECT_TRUE(probed(j)) << text;
  for (const auto& e : j["probe"]["events"]) {
    if (e.value("namespace", "") == "node/" + p_.a.node) {
      EXPECT_EQ(e.value("family", ""), "bridge") << e.dump();
    }
  }
}

TEST_F(BridgeVxlan, InspectAndGraphShowTheBridge) {
  std::string out;
  ASSERT_EQ(lab_->ctl("inspect node " + p_.a.node, &out), 0) << out;
  EXPECT_NE(out.find("pods       bridge mode: bridge podnet0"), std::string::npos) << out;
  ASSERT_EQ(lab_->ctl("inspect pod " + p_.a.name, &out), 0) << out;
  EXPECT_NE(out.find(fmt::format("{} (ifindex", host_veth(p_.a))), std::string::npos) << out;
  EXPECT_NE(out.find("port of bridge podnet0 (forwarding, hairpin on)"), std::string::npos) << out;
  ASSERT_EQ(lab_->ctl("graph -o dot", &out), 0) << out;
  EXPECT_NE(out.find("bridge mode)"), std::string::npos) << out;
  for (const auto& n : {"lxb001", "lxb002"})
    EXPECT_NE(out.find(fmt::format("\"bridge/{}\" [label=\"podnet0", n)), std::string::npos) << out;
}

// The victim's host veth taken out of the bridge (`nomaster`), then set down: traces to it
// from its own node and from the other one drop at its node's bridge hop, exit 1, and inspect
// says so. Put back after each.
TEST_F(BridgeVxlan, DetachedOrDownHostVethIsReportedAtTheBridge) {
  auto victims = lab_->pods("victim");
  ASSERT_EQ(victims.size(), 1u);
  const PodInfo v = victims[0];
  const std::string node_ns = lab_->netns(v.node);
  const std::string dev = host_veth(v);
  ASSERT_FALSE(dev.empty());
  std::string from_same, from_far;
  for (const auto& p : lab_->pods("web")) (p.node == v.node ? from_same : from_far) = p.name;
  struct Break {
    std::string how, undo, why;
  };
  for (const auto& b :
       {Break{
            "nomaster", "master podnet0",
            fmt::format("pod/{}'s host veth {} is not a port of podnet0 (no master)", v.name, dev)},
        Break{"down", "up", fmt::format("pod/{}'s host veth {} is DOWN", v.name, dev)}}) {
    SCOPED_TRACE(b.how);
    ASSERT_EQ(sh(fmt::format("ip -n {} link set {} {}", node_ns, dev, b.how)), 0);
    nlohmann::json j_same, j_far;
    std::string t_same, t_far, inspect_node, inspect_pod;
    const int rc_same =
        from_same.empty() ? -1
                          : lab_->trace(fmt::format("{} {}", from_same, v.name), &j_same, &t_same);
    const int rc_far = lab_->trace(fmt::format("{} {}", from_far, v.name), &j_far, &t_far);
    const int rc_inspect = lab_->ctl("inspect node " + v.node, &inspect_node);
    lab_->ctl("inspect pod " + v.name, &inspect_pod);
    sh(fmt::format("ip -n {} link set {} {}", node_ns, dev, b.undo));
    if (!from_same.empty()) {
      EXPECT_EQ(rc_same, 1) << t_same;
      EXPECT_EQ(steps(j_same), "route veth drop") << t_same;
      EXPECT_EQ(verdict(j_same)["where"], "node/" + v.node);
      EXPECT_NE(verdict(j_same)["reason"].get<std::string>().find(b.why), std::string::npos)
          << t_same;
      EXPECT_FALSE(probed(j_same)) << t_same;
    }
    EXPECT_EQ(rc_far, 1) << t_far;
    EXPECT_EQ(steps(j_far), "route veth bridge route vxlan underlay vxlan route drop") << t_far;
    EXPECT_EQ(verdict(j_far)["where"], "node/" + v.node);
    EXPECT_NE(verdict(j_far)["reason"].get<std::string>().find(b.why), std::string::npos) << t_far;
    EXPECT_TRUE(j_far.contains("probe")) << t_far;
    EXPECT_FALSE(probed(j_far)) << t_far;
    EXPECT_EQ(rc_inspect, 1) << inspect_node;
    EXPECT_NE(inspect_node.find("a pod's host veth is detached or down"), std::string::npos)
        << inspect_node;
    EXPECT_NE(inspect_pod.find(b.how == "down" ? ", DOWN) in netns"
                                               : "NOT a port of bridge podnet0 (no master)"),
              std::string::npos)
        << inspect_pod;
  }
  // Put back: delivered again, once the far node's ARP for the pod, failed while it was cut
  // off, has been retried.
  nlohmann::json j;
  std::string text;
  int rc = -1;
  for (int attempt = 0; attempt < 10 && rc != 0; ++attempt) {
    if (attempt) std::this_thread::sleep_for(1s);
    rc = lab_->trace(fmt::format("{} {}", from_far, v.name), &j, &text);
  }
  EXPECT_EQ(rc, 0) << text;
}

// ---- host-gw lab in bridge mode

class BridgeHostGw : public OnLab<BridgeTest, HostGwBridgeLab> {};

TEST_F(BridgeHostGw, PodToPodSameNodeIsSwitched) {
  same_node_is_switched();
}

TEST_F(BridgeHostGw, PodToPodAcrossNodes) {
  nlohmann::json j;
  std::string text;
  ASSERT_EQ(lab_->trace(fmt::format("{} {} --port 80", p_.a.name, p_.far.name), &j, &text), 0)
      << text;
  EXPECT_EQ(steps(j), "route veth bridge route underlay route bridge veth deliver") << text;
  const std::string far_ip = p_.far.node == "lxb001" ? "10.1.1.15" : "10.1.1.16";
  EXPECT_NE(j["predicted"]["hops"][3]["decidedBy"].get<std::string>().find("via " + far_ip +
                                                                           " dev eth0 proto 80"),
            std::string::npos)
      << text;
  EXPECT_EQ(verdict(j)["where"], "pod/" + p_.far.name);
  EXPECT_TRUE(probed(j)) << text;
}

TEST_F(BridgeHostGw, NodeToPod) {
  node_to_pod();
}

TEST_F(BridgeHostGw, PodToClusterIp) {
  pod_to_cluster_ip();
}

}  // namespace
}  // namespace podnet::testing
