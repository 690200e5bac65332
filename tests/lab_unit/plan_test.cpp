#include "podnet/lab/plan.hpp"

#include <gtest/gtest.h>

#include "podnet/lab/binaries.hpp"

namespace podnet::lab {
namespace {

TEST(LabPlan, SeedOrderAndAddresses) {
  auto nodes = plan_nodes(9);
  ASSERT_TRUE(nodes) << nodes.error().message;
  const std::vector<std::pair<std::string, std::string>> want = {
      {"lxb001", "10.1.1.15"}, {"lxb002", "10.1.1.16"}, {"lxb003", "10.1.1.17"},
      {"lxb004", "10.1.1.18"}, {"lxcc01", "10.1.1.9"},  {"lxcc02", "10.1.1.10"},
      {"lxcc03", "10.1.1.11"}, {"lxb005", "10.1.1.19"}, {"lxb006", "10.1.1.20"}};
  ASSERT_EQ(nodes->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*nodes)[i].name, want[i].first);
    EXPECT_EQ((*nodes)[i].ip.str(), want[i].second);
  }
}

TEST(LabPlan, FirstNAndLimits) {
  auto three = plan_nodes(3);
  ASSERT_TRUE(three);
  EXPECT_EQ(three->back().name, "lxb003");
  auto max = plan_nodes(64);
  ASSERT_TRUE(max);
  EXPECT_EQ(max->back().name, "lxb061");
  EXPECT_EQ(max->back().ip.str(), "10.1.1.75");
  std::set<std::string> ips;
  for (const auto& n : *max) ips.insert(n.ip.str());
  EXPECT_EQ(ips.size(), 64u);  // no two nodes share an address
  EXPECT_FALSE(ips.contains("10.1.1.1"));
  EXPECT_FALSE(ips.contains("10.1.1.2"));
  EXPECT_FALSE(plan_nodes(0));
  EXPECT_FALSE(plan_nodes(65));
}

TEST(LabPlan, Names) {
  EXPECT_EQ(netns_switch("podnet"), "podnet-sw");
  EXPECT_EQ(netns_ext("podnet"), "podnet-ext");
  EXPECT_EQ(netns_etcd("podnet"), "podnet-etcd");
  EXPECT_EQ(netns_node("podnet", "lxb001"), "podnet-lxb001");
  EXPECT_EQ(netns_pod("podnet", "default", "web-abcde"), "podnet-pod-web-abcde");
  EXPECT_EQ(netns_pod("podnet", "team-a", "web-abcde"), "podnet-pod-web-abcde.team-a");
  EXPECT_EQ(netns_path("podnet-sw"), "/var/run/netns/podnet-sw");
}

TEST(LabPlan, LabNetnsRecognisedWithoutState) {
  for (auto n : {"podnet-sw", "podnet-ext", "podnet-etcd", "podnet-lxb001", "podnet-lxcc03",
                 "podnet-pod-web-abcde", "podnet-lxb061"})
    EXPECT_TRUE(is_lab_netns("podnet", n)) << n;
  for (auto n : {"podnet", "podnet-", "podnet-x", "podnet-lxb", "podnet-lxbabc", "other-sw",
                 "podnetx-sw", "podnet-pod-", "podnet-b-sw", "pod-lxb001"})
    EXPECT_FALSE(is_lab_netns("podnet", n)) << n;
}

TEST(LabPlan, Paths) {
  auto p = lab_paths("podnet");
  EXPECT_EQ(p.root, "/run/podnet-lab/podnet");
  EXPECT_EQ(p.lab_json(), "/run/podnet-lab/podnet/lab.json");
  EXPECT_EQ(p.store_db(), "/run/podnet-lab/podnet/store.db");
  EXPECT_EQ(p.log("podnetd-lxb001"), "/run/podnet-lab/podnet/logs/podnetd-lxb001.log");
  EXPECT_EQ(p.cni_conf_dir("lxb001"), "/run/podnet-lab/podnet/nodes/lxb001/net.d");
  EXPECT_EQ(p.conflist("lxb001"), "/run/podnet-lab/podnet/nodes/lxb001/net.d/10-podnet.conflist");
  EXPECT_EQ(p.ipam_dir("lxb001"), "/run/podnet-lab/podnet/nodes/lxb001/ipam");
  EXPECT_EQ(p.state_dir("lxb001"), "/run/podnet-lab/podnet/nodes/lxb001/state");
  EXPECT_EQ(p.cni_bin(), "/run/podnet-lab/podnet/cni-bin");
  EXPECT_EQ(store_url(StoreKind::sqlite, p), "sqlite:///run/podnet-lab/podnet/store.db");
  EXPECT_EQ(store_url(StoreKind::etcd, p), "etcd://10.1.1.2:2379?insecure=1");
}

TEST(LabPlan, ClusterConfig) {
  auto c = lab_cluster_config({.backend = cluster::BackendType::host_gw});
  EXPECT_EQ(c.clusterCIDR.str(), "192.168.0.0/16");
  EXPECT_EQ(c.nodeSubnetLen, 24);
  EXPECT_EQ(c.serviceCIDR.str(), "10.96.0.0/12");
  EXPECT_EQ(c.backend.type, cluster::BackendType::host_gw);
  EXPECT_FALSE(c.backend.directRouting);
  EXPECT_TRUE(
      lab_cluster_config(*make_spec("podnet", "3", "sqlite", "vxlan", true)).backend.directRouting);
}

TEST(LabArgs, Valid) {
  auto s = make_spec("podnet", "5", "etcd", "host-gw");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->nodes, 5);
  EXPECT_EQ(s->store, StoreKind::etcd);
  EXPECT_EQ(s->backend, cluster::BackendType::host_gw);
  EXPECT_EQ(s->mode, cluster::PodMode::ptp);  // the default, as podnetd's
  EXPECT_EQ(wiring_label(*s), "host-gw");
  auto b = make_spec("podnet", "2", "sqlite", "vxlan", false, "bridge");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->mode, cluster::PodMode::bridge);
  EXPECT_EQ(wiring_label(*b), "vxlan, bridge mode");
}

TEST(LabArgs, ErrorsNameTheArgument) {
  auto expect_err = [](Result<LabSpec> r, std::string_view starts) {
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with(starts)) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  };
  expect_err(make_spec("podnet", "0", "sqlite", "vxlan"), "--nodes:");
  expect_err(make_spec("podnet", "65", "sqlite", "vxlan"), "--nodes:");
  expect_err(make_spec("podnet", "3x", "sqlite", "vxlan"), "--nodes:");
  expect_err(make_spec("podnet", "", "sqlite", "vxlan"), "--nodes:");
  expect_err(make_spec("podnet", "-1", "sqlite", "vxlan"), "--nodes:");
  expect_err(make_spec("podnet", "3", "mysql", "vxlan"), "--store:");
  expect_err(make_spec("podnet", "3", "sqlite", "flannel"), "--backend:");
  expect_err(make_spec("podnet", "3", "sqlite", "host-gw", true), "--direct-routing:");
  expect_err(make_spec("podnet", "3", "sqlite", "vxlan", false, "routed"), "--mode:");
  expect_err(make_spec("podnet", "3", "sqlite", "vxlan", false, ""), "--mode:");
  expect_err(make_spec("Podnet", "3", "sqlite", "vxlan"), "--lab:");
  expect_err(make_spec("pod_net", "3", "sqlite", "vxlan"), "--lab:");
  expect_err(make_spec("-podnet", "3", "sqlite", "vxlan"), "--lab:");
  expect_err(make_spec("", "3", "sqlite", "vxlan"), "--lab:");
  expect_err(make_spec(std::string(40, 'a'), "3", "sqlite", "vxlan"), "--lab:");
}

TEST(LabBinaries, Candidates) {
  auto [same, tree] = binary_candidates("/usr/local/bin/podnetctl", "podnetd");
  EXPECT_EQ(same, "/usr/local/bin/podnetd");
  auto [same2, tree2] = binary_candidates("/w/build/apps/podnetctl/podnetctl", "podnet-ipam");
  EXPECT_EQ(same2, "/w/build/apps/podnetctl/podnet-ipam");
  EXPECT_EQ(tree2, "/w/build/apps/podnet-ipam/podnet-ipam");
}

}  // namespace
}  // namespace podnet::lab
