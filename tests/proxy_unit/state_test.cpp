#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "helpers.hpp"
#include "podnet/proxy/state.hpp"

namespace podnet::proxy {
namespace {
using namespace test;
using V = std::vector<std::string>;
using S = std::multiset<std::string>;

Service named(std::string name, const char* cip, std::vector<Endpoint> eps) {
  auto s = web(std::move(eps));
  s.name = std::move(name);
  s.cluster_ip = ip(cip);
  return s;
}

TEST(ProxyState, FirstSyncIsFull) {
  RulesetState st;
  Snapshot snap{node(), {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, true}})}};
  Change c = st.plan(snap);
  EXPECT_TRUE(c.full);
  EXPECT_EQ(c.elements.decode().flush.size(), 10u);
  EXPECT_NE(c.add_text.find("add chain ip podnet-svc pick-1\n"), std::string::npos);
  EXPECT_EQ(c.services, 1u);
  EXPECT_EQ(c.endpoints, 1u);
  EXPECT_NE(std::find(c.keep_chains.begin(), c.keep_chains.end(), "pick-1"), c.keep_chains.end());
  // Nothing changed: nothing to do.
  EXPECT_TRUE(st.plan(snap).empty());
}

// A full sync encodes every service's own elements and each shared one once, after flushing
// every static set: what plan_service plans, straight into the batch.
TEST(ProxyState, FullSyncEncodesEveryElementOnce) {
  RulesetState st;
  Endpoint both{ip("192.168.0.2"), 80, true};
  Snapshot snap{node(),
                {named("a", "10.96.0.1", {both}),
                 named("b", "10.96.0.2", {both, {ip("192.168.1.3"), 80, false}})}};
  Change c = st.plan(snap);
  nft::ElementBatch d = c.elements.decode();
  S want;
  std::set<std::string> shared;
  for (const auto& svc : snap.services) {
    ServicePlan p = plan_service(node(), svc);
    for (const auto& l : lines(p.elements)) want.insert(l);
    for (const auto& l : lines(p.shared)) shared.insert(l);
  }
  want.insert(shared.begin(), shared.end());
  EXPECT_EQ(lines(d.add), want);
  EXPECT_EQ(shared, (std::set<std::string>{"endpoints: 192.168.0.2 . tcp . 80",
                                           "endpoints: 192.168.1.3 . tcp . 80",
                                           "hairpin: 192.168.0.2 . 192.168.0.2"}));
  EXPECT_TRUE(d.remove.empty());
  EXPECT_EQ(d.flush.size(), 10u);
  // b alone loses the shared endpoint: a still wants it, so it stays.
  snap.services[1].ports[0].endpoints = {{ip("192.168.1.3"), 80, false}};
  d = st.plan(snap).elements.decode();
  EXPECT_EQ(lines(d.remove), (S{"svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.2 . 80",
                                "svc-endpoints: 10.96.0.2 . tcp . 80 . 1 : 192.168.1.3 . 80",
                                "service-ips: 10.96.0.2 . tcp . 80 : goto pick-2"}));
  EXPECT_EQ(lines(d.add), (S{"svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.1.3 . 80",
                             "service-ips: 10.96.0.2 . tcp . 80 : goto pick-1"}));
}

// A ClusterIP . port claimed twice: the first service wins, the other is left out.
TEST(ProxyState, DuplicateKeyFirstServiceWins) {
  RulesetState st;
  Snapshot snap{node(),
                {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, false}}),
                 named("b", "10.96.0.1", {{ip("192.168.0.3"), 80, false}})}};
  S added = lines(st.plan(snap).elements.decode().add);
  EXPECT_EQ(added.count("service-ips: 10.96.0.1 . tcp . 80 : goto pick-1"), 1u);
  EXPECT_EQ(added.count("endpoints: 192.168.0.3 . tcp . 80"), 0u);
  EXPECT_EQ(added.count("svc-endpoints: 10.96.0.1 . tcp . 80 . 0 : 192.168.0.2 . 80"), 1u);
}

// Services moving in the snapshot, deleted from its middle, listed twice: only what changed is
// planned, with or without versions.
TEST(ProxyState, ReorderedDeletedAndDuplicatedServices) {
  for (bool versions : {false, true}) {
    SCOPED_TRACE(versions ? "versions" : "no versions");
    RulesetState st;
    Snapshot snap{node(),
                  {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, false}}),
                   named("b", "10.96.0.2", {{ip("192.168.0.3"), 80, false}}),
                   named("c", "10.96.0.3", {{ip("192.168.0.4"), 80, false}})}};
    if (versions)
      for (size_t i = 0; i < 3; ++i) snap.services[i].version = i + 1;
    st.plan(snap);
    // b deleted from the middle (c takes its place, as podnetd fills gaps).
    snap.services[1] = snap.services[2];
    snap.services.pop_back();
    Change c = st.plan(snap);
    EXPECT_EQ(lines(c.elements.decode().remove),
              (S{"cluster-ips: 10.96.0.2", "endpoints: 192.168.0.3 . tcp . 80",
                 "svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.3 . 80",
                 "service-ips: 10.96.0.2 . tcp . 80 : goto pick-1"}));
    EXPECT_TRUE(c.elements.decode().add.empty());
    EXPECT_EQ(c.services, 2u);
    // Reordered and listed twice: nothing to do.
    std::swap(snap.services[0], snap.services[1]);
    snap.services.push_back(snap.services[0]);
    EXPECT_TRUE(st.plan(snap).empty());
    EXPECT_EQ(st.find("default/c")->ports[0].endpoints[0].ip, ip("192.168.0.4"));
    // One changed (new version), in its new position: only its elements.
    snap.services.pop_back();
    snap.services[1].ports[0].endpoints[0].ip = ip("192.168.0.9");
    if (versions) snap.services[1].version = 10;
    c = st.plan(snap);
    EXPECT_EQ(lines(c.elements.decode().add),
              (S{"endpoints: 192.168.0.9 . tcp . 80",
                 "svc-endpoints: 10.96.0.1 . tcp . 80 . 0 : 192.168.0.9 . 80"}));
    EXPECT_EQ(c.elements.decode().remove.size(), 2u);
    // Back to the start of the snapshot, the last one gone: as the planner tracks.
    snap.services.pop_back();
    c = st.plan(snap);
    EXPECT_EQ(c.services, 1u);
    EXPECT_EQ(st.find("default/a"), nullptr);
    EXPECT_NE(st.find("default/c"), nullptr);
    EXPECT_TRUE(st.plan(snap).empty());
  }
}

// The kernel's view of a batch: removals must find their element, additions must not clash.
struct KernelModel {
  std::map<std::pair<std::string, std::vector<uint8_t>>, std::string> elems;
  void apply(const nft::ElementBatch& b) {
    for (const auto& set : b.flush)
      std::erase_if(elems, [&](const auto& kv) { return kv.first.first == set; });
    for (const auto& e : b.remove)
      ASSERT_EQ(elems.erase({e.set, e.key}), 1u)
          << "removal of a missing " << e.set << ": " << element_text(e);
    for (const auto& e : b.add) {
      auto [it, fresh] = elems.try_emplace({e.set, e.key}, element_text(e));
      ASSERT_TRUE(fresh || it->second == element_text(e))
          << "clash in " << e.set << ": " << it->second << " vs " << element_text(e);
    }
  }
};

// Random snapshots (services added, changed, deleted, moved, sharing endpoints): after every
// partial sync the kernel holds exactly what a full sync of that snapshot would program.
TEST(ProxyState, PartialSyncsEndWhereAFullSyncWould) {
  std::mt19937 rng(11);
  RulesetState st;
  KernelModel kernel;
  std::vector<Service> pool;
  uint64_t version = 0;
  for (int i = 0; i < 60; ++i) {
    auto s = named(fmt::format("s{}", i), fmt::format("10.96.1.{}", i + 1).c_str(), {});
    s.ports[0].node_port = i % 3 == 0 ? static_cast<uint16_t>(30000 + i) : 0;
    s.external_local = i % 6 == 0;
    pool.push_back(s);
  }
  auto endpoints = [&] {
    std::vector<Endpoint> eps;
    for (int k = rng() % 4; k > 0; --k)  // 0-3 endpoints from 8 pods: shared across services
      eps.push_back({ip(fmt::format("192.168.0.{}", 2 + rng() % 8).c_str()), 80, rng() % 2 == 0});
    return eps;
  };
  Snapshot snap{node(), {}};
  for (int round = 0; round < 200; ++round) {
    for (int k = rng() % 6; k > 0; --k) {
      const int op = rng() % 4;
      if (op == 0 && snap.services.size() < pool.size()) {  // add one not there
        auto& s = pool[rng() % pool.size()];
        if (std::none_of(snap.services.begin(), snap.services.end(),
                         [&](const Service& x) { return x.name == s.name; })) {
          snap.services.push_back(s);
          snap.services.back().ports[0].endpoints = endpoints();
          snap.services.back().version = ++version;
        }
      } else if (op == 1 && !snap.services.empty()) {  // delete one, the last fills the gap
        size_t i = rng() % snap.services.size();
        snap.services[i] = snap.services.back();
        snap.services.pop_back();
      } else if (op == 2 && !snap.services.empty()) {  // change one's endpoints
        auto& s = snap.services[rng() % snap.services.size()];
        s.ports[0].endpoints = endpoints();
        s.version = ++version;
      } else if (op == 3 && snap.services.size() > 1) {  // move two
        std::swap(snap.services[rng() % snap.services.size()],
                  snap.services[rng() % snap.services.size()]);
      }
    }
    Change c = st.plan(snap);
    ASSERT_EQ(c.full, round == 0);
    kernel.apply(c.elements.decode());
    RulesetState fresh;
    KernelModel want;
    want.apply(fresh.plan(snap).elements.decode());
    ASSERT_EQ(kernel.elems, want.elems) << "round " << round;
  }
}

TEST(ProxyState, OneEndpointChangeIsOneElement) {
  RulesetState st;
  Snapshot snap{node(),
                {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, false}}),
                 named("b", "10.96.0.2", {{ip("192.168.0.3"), 80, false}})}};
  st.plan(snap);
  snap.services[1].ports[0].endpoints[0].ip = ip("192.168.0.4");
  Change c = st.plan(snap);
  EXPECT_FALSE(c.full);
  EXPECT_TRUE(c.add_text.empty());
  EXPECT_EQ(lines(c.elements.decode().remove),
            (S{"endpoints: 192.168.0.3 . tcp . 80",
               "svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.3 . 80"}));
  EXPECT_EQ(lines(c.elements.decode().add),
            (S{"endpoints: 192.168.0.4 . tcp . 80",
               "svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.4 . 80"}));
}

// Versions: equal nonzero ones mean "unchanged" (not compared field by field); a new one is
// compared and diffed as usual.
TEST(ProxyState, EqualVersionsAreNotCompared) {
  RulesetState st;
  Snapshot snap{node(),
                {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, false}}),
                 named("b", "10.96.0.2", {{ip("192.168.0.3"), 80, false}})}};
  snap.services[0].version = 1;
  snap.services[1].version = 2;
  st.plan(snap);
  // Same version: taken as unchanged, whatever the fields say (the caller's promise).
  snap.services[1].ports[0].endpoints[0].ip = ip("192.168.0.4");
  EXPECT_TRUE(st.plan(snap).empty());
  snap.services[1].version = 3;
  Change c = st.plan(snap);
  EXPECT_EQ(lines(c.elements.decode().add),
            (S{"endpoints: 192.168.0.4 . tcp . 80",
               "svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.4 . 80"}));
  EXPECT_EQ(c.elements.decode().remove.size(), 2u);
}

TEST(ProxyState, NewEndpointCountAddsSharedChainOnce) {
  RulesetState st;
  Snapshot snap{node(), {named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, false}})}};
  st.plan(snap);
  snap.services[0].ports[0].endpoints.push_back({ip("192.168.0.3"), 80, false});
  Change c = st.plan(snap);
  // pick-1 and pick-2 come with the table (precreated_chain): nothing to add or remove.
  EXPECT_TRUE(c.add_text.empty()) << c.add_text;
  EXPECT_TRUE(c.remove_chains.empty());
  EXPECT_EQ(lines(c.elements.decode().add),
            (S{"endpoints: 192.168.0.3 . tcp . 80",
               "svc-endpoints: 10.96.0.1 . tcp . 80 . 1 : 192.168.0.3 . 80",
               "service-ips: 10.96.0.1 . tcp . 80 : goto pick-2"}));
  EXPECT_EQ(lines(c.elements.decode().remove),
            S{"service-ips: 10.96.0.1 . tcp . 80 : goto pick-1"});
}

TEST(ProxyState, SharedElementsAreCounted) {
  RulesetState st;
  Endpoint ep{ip("192.168.0.2"), 80, true};
  Snapshot snap{node(), {named("a", "10.96.0.1", {ep}), named("b", "10.96.0.2", {ep})}};
  st.plan(snap);
  snap.services.pop_back();
  Change c = st.plan(snap);
  // b's own elements go; the endpoint's hairpin/endpoints entries stay for a; pick-1 stays.
  EXPECT_EQ(
      lines(c.elements.decode().remove),
      (S{"cluster-ips: 10.96.0.2", "svc-endpoints: 10.96.0.2 . tcp . 80 . 0 : 192.168.0.2 . 80",
         "service-ips: 10.96.0.2 . tcp . 80 : goto pick-1"}));
  EXPECT_TRUE(c.elements.decode().add.empty());
  EXPECT_TRUE(c.remove_chains.empty());
  snap.services.clear();
  c = st.plan(snap);
  EXPECT_EQ(lines(c.elements.decode().remove),
            (S{"cluster-ips: 10.96.0.1", "endpoints: 192.168.0.2 . tcp . 80",
               "hairpin: 192.168.0.2 . 192.168.0.2",
               "svc-endpoints: 10.96.0.1 . tcp . 80 . 0 : 192.168.0.2 . 80",
               "service-ips: 10.96.0.1 . tcp . 80 : goto pick-1"}));
  EXPECT_TRUE(c.remove_chains.empty()) << "pick-1 comes with the table and stays";
}

TEST(ProxyState, EndpointCountBeyondThePrecreatedChainsAddsAndRemovesItsChain) {
  RulesetState st;
  std::vector<Endpoint> eps;
  for (size_t i = 0; i < kPrecreatedPicks; ++i)
    eps.push_back({ip(fmt::format("192.168.{}.{}", i / 200, 2 + i % 200).c_str()), 80, false});
  Snapshot snap{node(), {named("a", "10.96.0.1", eps)}};
  EXPECT_EQ(st.plan(snap).add_text.find(
                fmt::format("add chain ip podnet-svc pick-{}\n", kPrecreatedPicks + 1)),
            std::string::npos);
  snap.services[0].ports[0].endpoints.push_back({ip("192.168.9.9"), 80, false});
  Change c = st.plan(snap);
  const std::string big = fmt::format("pick-{}", kPrecreatedPicks + 1);
  EXPECT_NE(c.add_text.find("add chain ip podnet-svc " + big + "\n"), std::string::npos)
      << c.add_text;
  EXPECT_TRUE(c.remove_chains.empty()) << "pick-64 is precreated";
  snap.services[0].ports[0].endpoints.pop_back();
  c = st.plan(snap);
  EXPECT_EQ(c.remove_chains, V{big});
  EXPECT_TRUE(precreated_chain("pick-1"));
  EXPECT_TRUE(precreated_chain("np-pick-64"));
  EXPECT_TRUE(precreated_chain("npl-0-8"));
  EXPECT_FALSE(precreated_chain("npl-0-9"));
  EXPECT_FALSE(precreated_chain(big));
  EXPECT_FALSE(precreated_chain("pick-0"));
}

TEST(ProxyState, AffinityServiceDeletedRemovesChainsAndSets) {
  RulesetState st;
  auto s = named("a", "10.96.0.1", {{ip("192.168.0.2"), 80, true}});
  s.affinity_timeout = 5;
  Snapshot snap{node(), {s}};
  st.plan(snap);
  snap.services.clear();
  Change c = st.plan(snap);
  EXPECT_EQ(c.remove_chains, (V{"aff-default/a/tcp/80", "affe-default/a/tcp/80/192.168.0.2/80"}));
  EXPECT_EQ(c.remove_sets, V{"affs-default/a/tcp/80/192.168.0.2/80/5"});
}

TEST(ProxyState, InvalidateForcesFull) {
  RulesetState st;
  Snapshot snap{node(), {}};
  st.plan(snap);
  EXPECT_FALSE(st.plan(snap).full);
  st.invalidate();
  EXPECT_TRUE(st.plan(snap).full);
  snap.node.cluster_cidr = *net::Prefix::parse("10.244.0.0/16");
  EXPECT_TRUE(st.plan(snap).full);
}

TEST(ProxyState, ConntrackOnUdpEndpointGone) {
  RulesetState st;
  auto s = web({{ip("192.168.0.2"), 53, false}}, 0, Protocol::udp);
  Snapshot snap{node(), {s}};
  st.plan(snap);
  snap.services[0].ports[0].endpoints[0].ip = ip("192.168.0.3");
  Change c = st.plan(snap);
  ASSERT_EQ(c.conntrack.size(), 1u);
  EXPECT_EQ(c.conntrack[0].reply_src, ip("192.168.0.2"));
}

}  // namespace
}  // namespace podnet::proxy
