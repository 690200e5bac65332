#include <gtest/gtest.h>

#include <set>

#include "helpers.hpp"

namespace podnet::proxy {
namespace {
using namespace test;
using V = std::vector<std::string>;
using S = std::multiset<std::string>;

TEST(ProxyPlan, ClusterIpTwoEndpoints) {
  auto p = plan_service(node(),
                        web({{ip("192.168.1.3"), 8080, false}, {ip("192.168.0.2"), 8080, true}}));
  EXPECT_EQ(lines(p.elements), (S{"cluster-ips: 10.96.0.10",
                                  "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
                                  "svc-endpoints: 10.96.0.10 . tcp . 80 . 1 : 192.168.1.3 . 8080",
                                  "service-ips: 10.96.0.10 . tcp . 80 : goto pick-2"}));
  EXPECT_EQ(lines(p.shared),
            (S{"endpoints: 192.168.0.2 . tcp . 8080", "endpoints: 192.168.1.3 . tcp . 8080",
               "hairpin: 192.168.0.2 . 192.168.0.2"}));
  EXPECT_EQ(p.shared_chains, V{"pick-2"});
  EXPECT_TRUE(p.chains.empty());
}

TEST(ProxyPlan, ExternalIpsAreDispatchedLikeTheClusterIp) {
  auto svc = web({{ip("192.168.1.3"), 8080, false}, {ip("192.168.0.2"), 8080, true}});
  svc.external_ips = {ip("203.0.113.10")};
  auto p = plan_service(node(), svc);
  EXPECT_EQ(lines(p.elements),
            (S{"cluster-ips: 10.96.0.10",
               "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
               "svc-endpoints: 10.96.0.10 . tcp . 80 . 1 : 192.168.1.3 . 8080",
               "service-ips: 10.96.0.10 . tcp . 80 : goto pick-2",
               "svc-endpoints: 203.0.113.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
               "svc-endpoints: 203.0.113.10 . tcp . 80 . 1 : 192.168.1.3 . 8080",
               "service-ips: 203.0.113.10 . tcp . 80 : goto pick-2"}));
  EXPECT_EQ(p.shared_chains, V{"pick-2"});
  // internalTrafficPolicy Local narrows the ClusterIP only: the external IP keeps every endpoint.
  svc.internal_local = true;
  p = plan_service(node(), svc);
  EXPECT_EQ(lines(p.elements),
            (S{"cluster-ips: 10.96.0.10",
               "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
               "service-ips: 10.96.0.10 . tcp . 80 : goto pick-1",
               "svc-endpoints: 203.0.113.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
               "svc-endpoints: 203.0.113.10 . tcp . 80 . 1 : 192.168.1.3 . 8080",
               "service-ips: 203.0.113.10 . tcp . 80 : goto pick-2"}));
  EXPECT_EQ(p.shared_chains, (V{"pick-1", "pick-2"}));
  // No endpoints: both reject; the external IP is no ClusterIP (no unknown-port reject for it).
  svc.internal_local = false;
  svc.ports[0].endpoints.clear();
  EXPECT_EQ(lines(plan_service(node(), svc).elements),
            (S{"cluster-ips: 10.96.0.10",
               "no-endpoints: 10.96.0.10 . tcp . 80 : goto reject-service",
               "no-endpoints: 203.0.113.10 . tcp . 80 : goto reject-service"}));
}

TEST(ProxyPlan, ExternalIpsWithAffinity) {
  auto svc = web({{ip("192.168.1.3"), 8080, false}, {ip("192.168.0.2"), 8080, true}});
  svc.external_ips = {ip("203.0.113.10")};
  svc.affinity_timeout = 60;
  auto p = plan_service(node(), svc);
  const std::string aff = "aff-" + port_id(svc, svc.ports[0]);
  auto l = lines(p.elements);
  EXPECT_EQ(l.count("service-ips: 10.96.0.10 . tcp . 80 : goto " + aff), 1u);
  EXPECT_EQ(l.count("service-ips: 203.0.113.10 . tcp . 80 : goto " + aff), 1u);
  EXPECT_EQ(std::count_if(p.chains.begin(), p.chains.end(),
                          [&](const Chain& c) { return c.name == aff; }),
            1);
  // With internalTrafficPolicy Local the external IP gets its own chain over every endpoint.
  svc.internal_local = true;
  p = plan_service(node(), svc);
  const std::string affx = "affx-" + port_id(svc, svc.ports[0]);
  EXPECT_EQ(lines(p.elements).count("service-ips: 203.0.113.10 . tcp . 80 : goto " + affx), 1u);
  auto cx = std::find_if(p.chains.begin(), p.chains.end(), [&](const Chain& c) { return c.name == affx; });
  auto ci = std::find_if(p.chains.begin(), p.chains.end(), [&](const Chain& c) { return c.name == aff; });
  ASSERT_NE(cx, p.chains.end());
  ASSERT_NE(ci, p.chains.end());
  EXPECT_GT(cx->rules.size(), ci->rules.size());  // two endpoints' rules against one
}

TEST(ProxyPlan, KernelEncodingOfEndpointElement) {
  auto p = plan_service(node(), web({{ip("192.168.0.2"), 8080, true}}));
  auto it = std::find_if(p.elements.begin(), p.elements.end(),
                         [](auto& e) { return e.set == "svc-endpoints"; });
  ASSERT_NE(it, p.elements.end());
  uint32_t zero = 0;
  std::vector<uint8_t> key{10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0};
  key.insert(key.end(), reinterpret_cast<uint8_t*>(&zero), reinterpret_cast<uint8_t*>(&zero) + 4);
  EXPECT_EQ(it->key, key);
  EXPECT_EQ(it->data, (std::vector<uint8_t>{192, 168, 0, 2, 0x1f, 0x90, 0, 0}));
}

TEST(ProxyPlan, UniformPick) {
  // Every index 0..E-1 exactly once, each to a distinct endpoint, and the chain draws mod E.
  std::vector<Endpoint> eps;
  for (int i = 0; i < 7; ++i) eps.push_back({net::IpAddress::v4(0xc0a80002 + i), 80, false});
  auto p = plan_service(node(), web(eps));
  std::set<std::string> idx, targets;
  for (const auto& e : p.elements)
    if (e.set == "svc-endpoints") {
      auto t = element_text(e);
      auto colon = t.find(" : ");
      idx.insert(t.substr(t.rfind(" . ", colon) + 3, colon - t.rfind(" . ", colon) - 3));
      targets.insert(t.substr(colon + 3));
    }
  EXPECT_EQ(idx, (std::set<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(targets.size(), 7u);
  auto chain = shared_chain(node(), "pick-7");
  ASSERT_EQ(chain.rules.size(), 2u);
  EXPECT_EQ(
      chain.rules[1],
      "dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 7 map @svc-endpoints");
}

TEST(ProxyPlan, MasqueradeDecisions) {
  // ClusterIP: only from outside the cluster CIDR.
  EXPECT_EQ(shared_chain(node(), "pick-2").rules[0],
            "ip saddr != 192.168.0.0/16 jump mark-for-masquerade");
  // NodePort with policy Cluster: always.
  EXPECT_EQ(shared_chain(node(), "np-pick-2").rules[0], "jump mark-for-masquerade");
  // NodePort with policy Local: outside clients keep their address; cluster/node clients as
  // Cluster.
  auto npl = shared_chain(node(), "npl-1-3");
  EXPECT_EQ(npl.rules,
            (V{"ip saddr 192.168.0.0/16 goto np-pick-3", "fib saddr type local goto np-pick-3",
               "dnat ip to meta l4proto . th dport . numgen random mod 1 map "
               "@np-local-eps"}));
  EXPECT_EQ(shared_chain(node(), "npl-0-2").rules.back(), "drop");
  // Postrouting: masquerade marked packets, and hairpin (the endpoint reaching itself).
  auto base = plan_base(node());
  auto post = std::find_if(base.chains.begin(), base.chains.end(),
                           [](auto& c) { return c.name == "nat-postrouting"; });
  ASSERT_NE(post, base.chains.end());
  EXPECT_EQ(post->rules,
            (V{"meta mark & 0x00004000 == 0x00004000 meta mark set meta mark & 0xffffbfff "
               "masquerade fully-random",
               "ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random"}));
  EXPECT_TRUE(shared_chain(node(), "bogus").name.empty());
}

TEST(ProxyPlan, NodePortPolicies) {
  std::vector<Endpoint> eps{{ip("192.168.0.2"), 8080, true}, {ip("192.168.1.2"), 8080, false}};
  auto cluster = plan_service(node(), web(eps, 30080));
  EXPECT_EQ(lines(cluster.elements),
            (S{"cluster-ips: 10.96.0.10", "np-endpoints: tcp . 30080 . 0 : 192.168.0.2 . 8080",
               "np-endpoints: tcp . 30080 . 1 : 192.168.1.2 . 8080",
               "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
               "svc-endpoints: 10.96.0.10 . tcp . 80 . 1 : 192.168.1.2 . 8080",
               "service-ips: 10.96.0.10 . tcp . 80 : goto pick-2",
               "svc-nodeports: tcp . 30080 : goto np-pick-2"}));
  auto svc = web(eps, 30080);
  svc.external_local = true;
  auto local = plan_service(node(), svc);
  auto l = lines(local.elements);
  EXPECT_NE(std::find(l.begin(), l.end(), "svc-nodeports: tcp . 30080 : goto npl-1-2"), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), "np-local-eps: tcp . 30080 . 0 : 192.168.0.2 . 8080"),
            l.end());
  EXPECT_EQ(local.shared_chains, (V{"pick-2", "npl-1-2", "np-pick-2"}));
}

TEST(ProxyPlan, InternalTrafficPolicyLocal) {
  auto svc = web({{ip("192.168.0.2"), 8080, true}, {ip("192.168.1.2"), 8080, false}});
  svc.internal_local = true;
  EXPECT_EQ(
      lines(plan_service(node(), svc).elements),
      (S{"cluster-ips: 10.96.0.10", "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : 192.168.0.2 . 8080",
         "service-ips: 10.96.0.10 . tcp . 80 : goto pick-1"}));
  svc.ports[0].endpoints = {{ip("192.168.1.2"), 8080, false}};
  EXPECT_EQ(lines(plan_service(node(), svc).elements),
            (S{"cluster-ips: 10.96.0.10", "service-ips: 10.96.0.10 . tcp . 80 : drop"}));
}

TEST(ProxyPlan, NoEndpointsRejects) {
  auto p = plan_service(node(), web({}, 30080, Protocol::udp));
  EXPECT_EQ(lines(p.elements), (S{"cluster-ips: 10.96.0.10",
                                  "no-endpoints: 10.96.0.10 . udp . 80 : goto reject-service",
                                  "np-no-endpoints: udp . 30080 : goto reject-service"}));
  auto base = plan_base(node());
  auto rej = std::find_if(base.chains.begin(), base.chains.end(),
                          [](auto& c) { return c.name == "reject-service"; });
  EXPECT_EQ(rej->rules, (V{"meta l4proto tcp reject with tcp reset", "reject"}));
  auto chk = std::find_if(base.chains.begin(), base.chains.end(),
                          [](auto& c) { return c.name == "service-checks"; });
  ASSERT_GE(chk->rules.size(), 2u);
  // An unknown port on a ClusterIP rejects; any other address of the service CIDR drops.
  EXPECT_EQ(chk->rules[chk->rules.size() - 2], "ip daddr @cluster-ips reject");
  EXPECT_EQ(chk->rules.back(), "ip daddr 10.96.0.0/12 drop");
}

TEST(ProxyPlan, Affinity) {
  auto svc = web({{ip("192.168.0.2"), 8080, true}, {ip("192.168.0.3"), 8080, true}});
  svc.affinity_timeout = 60;
  auto p = plan_service(node(), svc);
  EXPECT_EQ(lines(p.elements),
            (S{"cluster-ips: 10.96.0.10",
               "service-ips: 10.96.0.10 . tcp . 80 : goto aff-default/web/tcp/80"}));
  ASSERT_EQ(p.chains.size(), 3u);
  EXPECT_EQ(p.chains[0].name, "affe-default/web/tcp/80/192.168.0.2/8080");
  EXPECT_EQ(p.chains[0].rules,
            (V{"update @affs-default/web/tcp/80/192.168.0.2/8080/60 { ip saddr }",
               "meta l4proto tcp dnat ip to 192.168.0.2:8080"}));
  EXPECT_EQ(
      p.chains[2].rules,
      (V{"ip saddr != 192.168.0.0/16 jump mark-for-masquerade",
         "ip saddr @affs-default/web/tcp/80/192.168.0.2/8080/60 goto "
         "affe-default/web/tcp/80/192.168.0.2/8080",
         "ip saddr @affs-default/web/tcp/80/192.168.0.3/8080/60 goto "
         "affe-default/web/tcp/80/192.168.0.3/8080",
         "numgen random mod 2 vmap { 0 : goto affe-default/web/tcp/80/192.168.0.2/8080, 1 : goto "
         "affe-default/web/tcp/80/192.168.0.3/8080 }"}));
  ASSERT_EQ(p.sets.size(), 2u);
  EXPECT_EQ(p.sets[0].body, "typeof ip saddr; flags dynamic,timeout; timeout 60s;");
}

TEST(ProxyPlan, Commands) {
  std::vector<SetDef> sets{{"m", true, "type inet_proto . inet_service : verdict;"}};
  std::vector<Chain> chains{
      {"c", "", {"drop"}},
      {"b", "type nat hook output priority dstnat; policy accept;", {"jump c"}}};
  EXPECT_EQ(add_commands(sets, chains),
            "add map ip podnet-svc m { type inet_proto . inet_service : verdict; }\n"
            "add chain ip podnet-svc c\n"
            "add chain ip podnet-svc b { type nat hook output priority dstnat; policy accept; }\n"
            "flush chain ip podnet-svc c\nadd rule ip podnet-svc c drop\n"
            "flush chain ip podnet-svc b\nadd rule ip podnet-svc b jump c\n");
  EXPECT_EQ(
      delete_commands({"x"}, {"s"}),
      "flush chain ip podnet-svc x\ndelete chain ip podnet-svc x\ndelete set ip podnet-svc s\n");
}

}  // namespace
}  // namespace podnet::proxy
