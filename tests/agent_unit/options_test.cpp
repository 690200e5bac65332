#include <gtest/gtest.h>

#include "podnet/agent/options.hpp"

namespace podnet::agent {
namespace {

Result<Options> parse(std::vector<std::string> a) {
  return parse_args(a);
}
std::string err(std::vector<std::string> a) {
  auto r = parse(std::move(a));
  return r ? std::string("<ok>") : r.error().message;
}

TEST(Options, DefaultsAndRequired) {
  auto o = parse({"--node", "lxb001", "--store", "sqlite:///tmp/x.db"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->node, "lxb001");
  EXPECT_EQ(o->iface, "eth0");
  EXPECT_EQ(o->cni_conf_dir, "/etc/cni/net.d");
  EXPECT_EQ(o->state_dir, "/var/lib/podnetd");
  EXPECT_EQ(o->lease_ttl, std::chrono::seconds(30));
  EXPECT_EQ(o->resync_period, std::chrono::seconds(30));  // kube-proxy's --sync-period default
  EXPECT_EQ(o->proxy_full_sync_period, std::chrono::hours(1));  // its nftables full sync
  EXPECT_EQ(o->mode, cluster::PodMode::ptp);                    // routed pods unless --mode bridge
  auto bridge = parse({"--node", "a", "--store", "sqlite:///x", "--mode", "bridge"});
  ASSERT_TRUE(bridge) << bridge.error().message;
  EXPECT_EQ(bridge->mode, cluster::PodMode::bridge);
  ASSERT_TRUE(o->listen);
  EXPECT_EQ(o->listen->str(), "127.0.0.1:9402");
  EXPECT_FALSE(o->cluster_cidr);
  EXPECT_FALSE(o->leave);
  EXPECT_EQ(err({"--store", "sqlite:///x"}), "--node: required (this node's name)");
  EXPECT_EQ(err({"--node", "a"}), "--store: required (sqlite:///path or etcd://host:port)");
  EXPECT_TRUE(parse({"--help"}));
}

TEST(Options, AllFlagsBothSpellings) {
  auto o = parse({"--node=lxb002",
                  "--store",
                  "etcd://10.1.1.2:2379",
                  "--iface",
                  "ens3",
                  "--ip",
                  "10.1.1.16",
                  "--cni-conf-dir",
                  "/n",
                  "--state-dir=/s",
                  "--ipam-data-dir",
                  "/i",
                  "--mode",
                  "ptp",
                  "--listen",
                  "",
                  "--lease-ttl",
                  "6",
                  "--resync-period=5",
                  "--proxy-full-sync-period",
                  "600",
                  "--cluster-cidr",
                  "10.244.0.0/16",
                  "--node-subnet-len",
                  "26",
                  "--service-cidr",
                  "10.96.0.0/12",
                  "--backend",
                  "host-gw",
                  "--vni",
                  "7",
                  "--vxlan-port",
                  "4789",
                  "--leave",
                  "--log-level",
                  "debug",
                  "--log-file",
                  "/tmp/l"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->node, "lxb002");
  EXPECT_EQ(o->ip->str(), "10.1.1.16");
  EXPECT_EQ(o->state_dir, "/s");
  EXPECT_EQ(o->mode, cluster::PodMode::ptp);
  EXPECT_FALSE(o->listen);
  EXPECT_EQ(o->lease_ttl, std::chrono::seconds(6));
  EXPECT_EQ(o->resync_period, std::chrono::seconds(5));
  EXPECT_EQ(o->proxy_full_sync_period, std::chrono::seconds(600));
  EXPECT_EQ(o->cluster_cidr->str(), "10.244.0.0/16");
  EXPECT_EQ(*o->node_subnet_len, 26);
  EXPECT_EQ(*o->backend, cluster::BackendType::host_gw);
  EXPECT_EQ(*o->vni, 7u);
  EXPECT_EQ(*o->vxlan_port, 4789);
  EXPECT_TRUE(o->leave);
  EXPECT_EQ(o->log_level, log::Level::debug);
}

TEST(Options, ErrorsNameTheFlag) {
  std::vector<std::string> base = {"--node", "n1", "--store", "sqlite:///x"};
  auto with = [&](std::vector<std::string> more) {
    auto a = base;
    a.insert(a.end(), more.begin(), more.end());
    return err(a);
  };
  EXPECT_EQ(with({"--bogus", "1"}), "--bogus: unknown flag (see --help)");
  EXPECT_EQ(with({"--lease-ttl"}), "--lease-ttl: needs a value");
  EXPECT_EQ(with({"--lease-ttl", "abc"}), "--lease-ttl: \"abc\" must be seconds in 2..86400");
  EXPECT_EQ(with({"--lease-ttl", "1"}), "--lease-ttl: \"1\" must be seconds in 2..86400");
  EXPECT_EQ(with({"--resync-period", "0"}), "--resync-period: \"0\" must be seconds in 1..86400");
  EXPECT_EQ(with({"--resync-period", "1m"}), "--resync-period: \"1m\" must be seconds in 1..86400");
  EXPECT_EQ(with({"--proxy-full-sync-period", "0"}),
            "--proxy-full-sync-period: \"0\" must be seconds in 1..604800");
  EXPECT_EQ(with({"--backend", "geneve"}), "--backend: \"geneve\" is not vxlan or host-gw");
  EXPECT_EQ(with({"--mode", "macvlan"}), "--mode: \"macvlan\" is not bridge or ptp");
  EXPECT_EQ(with({"--pod-gso-max-size", "1000"}),
            "--pod-gso-max-size: \"1000\" is not 0 or 65536..524280");
  EXPECT_EQ(with({"--pod-gso-max-size", "600000"}),
            "--pod-gso-max-size: \"600000\" is not 0 or 65536..524280");
  EXPECT_EQ(with({"--pod-gso-max-size", "64k"}),
            "--pod-gso-max-size: \"64k\" is not 0 or 65536..524280");
  EXPECT_EQ(with({"--cluster-cidr", "10.0.0.1/8"}),
            "--cluster-cidr: 10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(with({"--cluster-cidr", "banana"}),
            "--cluster-cidr: \"banana\" is not a CIDR (like 192.168.0.0/16)");
  EXPECT_EQ(with({"--vni", "0"}), "--vni: \"0\" must be in 1..16777215");
  EXPECT_EQ(with({"--vxlan-port", "70000"}), "--vxlan-port: \"70000\" must be in 1..65535");
  EXPECT_EQ(with({"--listen", "nohost"}), "--listen: \"nohost\" is not ADDR:PORT");
  EXPECT_EQ(with({"--listen", "1.2.3.4:0"}), "--listen: port \"0\" must be in 1..65535");
  EXPECT_EQ(with({"--ip", "x"}), "--ip: \"x\" is not a unicast IP address");
  EXPECT_EQ(with({"--leave=yes"}), "--leave: takes no value");
  EXPECT_EQ(with({"stray"}), "unexpected argument \"stray\"");
  EXPECT_NE(err({"--node", "Bad_Name", "--store", "x"}).find("--node"), std::string::npos);
  for (auto& m : {with({"--bogus", "1"}), with({"--vni", "0"})})
    EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(Options, Listen) {
  auto l = parse_listen("[::1]:9402");
  ASSERT_TRUE(l && *l);
  EXPECT_EQ((*l)->str(), "[::1]:9402");
  EXPECT_FALSE(parse_listen("::1:9402"));
  auto off = parse_listen("");
  ASSERT_TRUE(off);
  EXPECT_FALSE(*off);
}

TEST(ConfigFromFlags, DefaultsAndOverrides) {
  Options o;
  auto c = config_from_flags(o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c, cluster::ClusterConfig{});
  o.cluster_cidr = *net::Prefix::parse("10.244.0.0/16");
  o.node_subnet_len = 25;
  o.backend = cluster::BackendType::host_gw;
  o.vni = 9;
  o.vxlan_port = 4789;
  c = config_from_flags(o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->clusterCIDR.str(), "10.244.0.0/16");
  EXPECT_EQ(c->nodeSubnetLen, 25);
  EXPECT_EQ(c->backend.type, cluster::BackendType::host_gw);
  EXPECT_EQ(c->backend.vni, 9u);
  EXPECT_EQ(c->backend.port, 4789);
}

TEST(ConfigFromFlags, ValidationErrorsNameTheFlag) {
  Options o;
  o.cluster_cidr = *net::Prefix::parse("10.0.0.0/8");
  auto c = config_from_flags(o);  // default service CIDR 10.96.0.0/12 is inside
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "--service-cidr: 10.96.0.0/12 overlaps clusterCIDR 10.0.0.0/8");
  o = Options{};
  o.node_subnet_len = 8;
  c = config_from_flags(o);
  ASSERT_FALSE(c);
  EXPECT_TRUE(c.error().message.starts_with("--node-subnet-len: 8 must be in"))
      << c.error().message;
}

TEST(ConfigConflicts, OnlyExplicitFlagsThatDiffer) {
  cluster::ClusterConfig stored;
  Options o;
  EXPECT_TRUE(config_conflicts(o, stored).empty());
  o.cluster_cidr = stored.clusterCIDR;  // agrees
  o.backend = cluster::BackendType::host_gw;
  o.node_subnet_len = 26;
  auto w = config_conflicts(o, stored);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "--node-subnet-len 26 differs from the store's 24");
  EXPECT_EQ(w[1], "--backend host-gw differs from the store's vxlan");
}

TEST(Options, DirectRoutingIsForVxlanAndNamedWhenItConflicts) {
  auto o = parse({"--node", "a", "--store", "sqlite:///x", "--direct-routing"});
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_TRUE(o->direct_routing);
  auto c = config_from_flags(*o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->backend.directRouting);
  o->backend = cluster::BackendType::host_gw;
  c = config_from_flags(*o);
  ASSERT_FALSE(c);
  EXPECT_TRUE(c.error().message.starts_with("--direct-routing: only for the vxlan backend"))
      << c.error().message;
  o->backend.reset();
  auto w = config_conflicts(*o, cluster::ClusterConfig{});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "--direct-routing on differs from the store's off");
}

TEST(Options, PodGsoMaxSizeIsForHostGwOnly) {
  auto o = parse({"--node", "a", "--store", "sqlite:///x", "--pod-gso-max-size", "262144"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->pod_gso_max_size, 262144u);
  EXPECT_EQ(pod_gso_problem(*o, cluster::BackendType::host_gw), std::nullopt);
  EXPECT_EQ(*pod_gso_problem(*o, cluster::BackendType::vxlan),
            "--pod-gso-max-size: 262144 needs the host-gw backend (the cluster uses vxlan, which "
            "cannot encapsulate packets above 65536 bytes)");
  auto plain = parse({"--node", "a", "--store", "sqlite:///x"});
  EXPECT_EQ(plain->pod_gso_max_size, 0u);
  EXPECT_EQ(pod_gso_problem(*plain, cluster::BackendType::vxlan), std::nullopt);
}

}  // namespace
}  // namespace podnet::agent
