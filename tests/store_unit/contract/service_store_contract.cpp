// ServiceStore on every store backend: allocation, refusal of taken and out-of-range values,
// update in place, release on delete, bulk apply, and concurrent creators never sharing a value.
#include <atomic>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "podnet/cluster/service_alloc.hpp"
#include "podnet/svcstore/service_store.hpp"
#include "store_contract.hpp"

namespace podnet::store::testing {
namespace {

using cluster::Protocol;
using cluster::Service;
using cluster::ServiceType;
using svcstore::Action;
using svcstore::ServiceStore;

net::IpAddress A(const char* s) {
  return *net::IpAddress::parse(s);
}

Service svc(std::string name, ServiceType type = ServiceType::ClusterIP) {
  Service s;
  s.name = std::move(name);
  s.type = type;
  s.selector = {{"app", s.name}};
  s.ports = {{"", Protocol::TCP, 80, 8080, 0}};
  return s;
}

std::string value_of(Store& st, const std::string& key) {
  auto kv = st.get(key);
  return kv && *kv ? (*kv)->value : "<absent>";
}

TEST_P(StoreContract, ServicesGetDistinctAllocationsAndTakenOnesAreRefused) {
  ServiceStore ss(*store_, cluster::ClusterConfig{});
  ss.set_clock([] { return int64_t(1764145000); });
  auto web = ss.create(svc("web", ServiceType::NodePort));
  ASSERT_TRUE(web) << web.error().message;
  ASSERT_TRUE(web->clusterIP.has_value());
  EXPECT_TRUE(cluster::ClusterIpPool(*net::Prefix::parse("10.96.0.0/12")).usable(*web->clusterIP));
  uint16_t np = web->ports[0].nodePort;
  EXPECT_TRUE(np >= 30000 && np <= 32767) << np;
  EXPECT_EQ(web->created, 1764145000);
  EXPECT_EQ(value_of(*store_, svcstore::cluster_ip_key(*web->clusterIP)), "default/web");
  EXPECT_EQ(value_of(*store_, svcstore::node_port_key(np)), "default/web");
  auto stored = ss.get("default", "web");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->service, *web);

  EXPECT_EQ(ss.create(svc("web")).error().message, "service \"default/web\": already exists");
  Service db = svc("db", ServiceType::NodePort);
  db.clusterIP = web->clusterIP;
  EXPECT_EQ(ss.create(db).error().message,
            fmt::format("service \"default/db\": spec.clusterIP: {} is already allocated to "
                        "default/web",
                        web->clusterIP->str()));
  db.clusterIP = A("10.96.0.50");
  db.ports[0].nodePort = np;
  EXPECT_EQ(ss.create(db).error().message,
            fmt::format("service \"default/db\": spec.ports[0].nodePort: {} is already allocated "
                        "to default/web",
                        np));
  db.ports[0].nodePort = 40000;
  EXPECT_EQ(ss.create(db).error().message,
            "service \"default/db\": spec.ports[0].nodePort: 40000 is outside the NodePort range "
            "30000-32767");
  db.ports[0].nodePort = 0;
  db.clusterIP = A("10.0.0.1");
  EXPECT_EQ(ss.create(db).error().message,
            "service \"default/db\": spec.clusterIP: 10.0.0.1 is outside the service CIDR "
            "10.96.0.0/12");
  db.clusterIP = A("10.96.0.50");
  db.ports[0].nodePort = np == 30001 ? 30002 : 30001;
  auto created = ss.create(db);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->clusterIP, A("10.96.0.50"));
  // Nothing was left behind by the refused creates.
  EXPECT_EQ(store_->list(svcstore::cluster_ip_prefix)->items.size(), 2u);
  EXPECT_EQ(store_->list(svcstore::node_port_prefix)->items.size(), 2u);
  auto all = ss.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "db");
}

TEST_P(StoreContract, ServiceUpdateInPlaceKeepsAndReleasesAllocations) {
  ServiceStore ss(*store_, cluster::ClusterConfig{});
  auto web = ss.create(svc("web"));
  ASSERT_TRUE(web) << web.error().message;
  EXPECT_EQ(web->ports[0].nodePort, 0);
  // ClusterIP -> NodePort: a nodePort is allocated, the clusterIP kept.
  Service want = svc("web", ServiceType::NodePort);
  auto np1 = ss.update(want);
  ASSERT_TRUE(np1) << np1.error().message;
  EXPECT_EQ(np1->clusterIP, web->clusterIP);
  EXPECT_EQ(np1->created, web->created);
  uint16_t np = np1->ports[0].nodePort;
  ASSERT_NE(np, 0);
  // Same again: unchanged. A second port: the first keeps its nodePort.
  auto same = ss.apply(want);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->action, Action::unchanged);
  want.ports = {{"http", Protocol::TCP, 80, 8080, 0}, {"dns", Protocol::UDP, 53, 53, 0}};
  auto two = ss.apply(want);
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->action, Action::updated);
  EXPECT_EQ(two->service.ports[0].nodePort, np);
  uint16_t np_dns = two->service.ports[1].nodePort;
  EXPECT_NE(np_dns, 0);
  EXPECT_NE(np_dns, np);
  // Dropping a port releases its nodePort; the selector changes in place.
  want.ports.pop_back();
  want.selector = {{"app", "web2"}};
  auto one = ss.apply(want);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->service.selector, want.selector);
  EXPECT_EQ(value_of(*store_, svcstore::node_port_key(np_dns)), "<absent>");
  EXPECT_EQ(value_of(*store_, svcstore::node_port_key(np)), "default/web");
  // A different clusterIP is refused.
  Service moved = want;
  moved.clusterIP = A("10.96.0.77");
  EXPECT_EQ(ss.apply(moved).error().message,
            fmt::format("service \"default/web\": spec.clusterIP: may not change ({} is allocated "
                        "to this service)",
                        web->clusterIP->str()));
  // NodePort -> ClusterIP: released.
  auto back = ss.update(svc("web"));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->ports[0].nodePort, 0);
  EXPECT_TRUE(store_->list(svcstore::node_port_prefix)->items.empty());
  EXPECT_EQ(ss.update(svc("nope")).error().message, "service \"default/nope\": not found");
}

TEST_P(StoreContract, ServiceDeleteReleasesItsValues) {
  ServiceStore ss(*store_, cluster::ClusterConfig{});
  Service s = svc("web", ServiceType::NodePort);
  s.clusterIP = A("10.96.0.10");
  s.ports[0].nodePort = 30080;
  ASSERT_TRUE(ss.create(s));
  auto r = ss.remove("default", "web");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(*r);
  EXPECT_FALSE(*ss.remove("default", "web"));
  EXPECT_TRUE(store_->list(svcstore::cluster_ip_prefix)->items.empty());
  EXPECT_TRUE(store_->list(svcstore::node_port_prefix)->items.empty());
  s.name = "other";
  auto again = ss.create(s);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->ports[0].nodePort, 30080);
}

TEST_P(StoreContract, ServiceBulkApplyCreatesUpdatesAndDeletes) {
  ServiceStore ss(*store_, cluster::ClusterConfig{});
  std::vector<Service> many;
  for (int i = 0; i < 600; ++i)
    many.push_back(
        svc(fmt::format("svc-{}", i), i % 3 == 0 ? ServiceType::NodePort : ServiceType::ClusterIP));
  auto r = ss.apply_many(many);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->created, 600u);
  if (store_->max_txn_ops() < 1000)
    EXPECT_GT(r->transactions, 1u);
  else
    EXPECT_EQ(r->transactions, 1u);
  std::set<net::IpAddress> ips;
  std::set<uint16_t> ports;
  for (const auto& a : r->applied) {
    EXPECT_TRUE(ips.insert(*a.service.clusterIP).second);
    if (a.service.type == ServiceType::NodePort) {
      EXPECT_TRUE(ports.insert(a.service.ports[0].nodePort).second);
    }
  }
  EXPECT_EQ(store_->list(svcstore::cluster_ip_prefix)->items.size(), 600u);
  EXPECT_EQ(store_->list(svcstore::node_port_prefix)->items.size(), 200u);
  // Again: unchanged, nothing written. Then a third become NodePort and one changes port.
  auto again = ss.apply_many(many);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->unchanged, 600u);
  EXPECT_EQ(again->transactions, 0u);
  for (int i = 1; i < 600; i += 3) many[i].type = ServiceType::NodePort;
  many[0].ports[0].port = 81;
  auto upd = ss.apply_many(many);
  ASSERT_TRUE(upd) << upd.error().message;
  EXPECT_EQ(upd->updated, 201u);
  EXPECT_EQ(upd->applied[1].service.clusterIP, r->applied[1].service.clusterIP);
  EXPECT_EQ(store_->list(svcstore::node_port_prefix)->items.size(), 400u);
  // An invalid object fails the whole call before anything is written.
  auto bad = many;
  bad[4].ports[0].nodePort = 12;
  bad[6].name = "new-one";
  EXPECT_EQ(ss.apply_many(bad).error().message,
            "service \"default/svc-4\": spec.ports[0].nodePort: 12 is outside the NodePort range "
            "30000-32767");
  EXPECT_FALSE(*ss.get("default", "new-one"));
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& s : many) names.emplace_back("default", s.name);
  names.emplace_back("default", "absent");
  auto gone = ss.remove_many(names);
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_EQ(*gone, 600u);
  EXPECT_TRUE(store_->list(svcstore::cluster_ip_prefix)->items.empty());
  EXPECT_TRUE(store_->list(svcstore::node_port_prefix)->items.empty());
  EXPECT_TRUE(store_->list(cluster::services_prefix)->items.empty());
}

TEST_P(StoreContract, ConcurrentServiceCreatesNeverShareAValue) {
  // Small ranges so that concurrent writers do collide and must choose again.
  cluster::ClusterConfig cfg;
  cfg.serviceCIDR = *net::Prefix::parse("10.96.0.0/26");  // 62 addresses
  cfg.nodePortRange = {30000, 30063};                     // 64 ports
  constexpr int kClients = 4, kEach = 12;
  std::vector<std::unique_ptr<Store>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client());
  std::atomic<bool> go{false};
  std::atomic<int> errors{0};
  std::vector<std::string> why(kClients);
  std::vector<std::thread> ts;
  for (int c = 0; c < kClients; ++c)
    ts.emplace_back([&, c] {
      ServiceStore ss(*clients[c], cfg);
      while (!go) std::this_thread::yield();
      for (int k = 0; k < kEach; ++k) {
        // Half by single creates, half by small bulk applies.
        auto s = svc(fmt::format("c{}-{}", c, k), ServiceType::NodePort);
        if (k % 2 == 0) {
          auto r = ss.create(s);
          if (!r) ++errors, why[c] = r.error().message;
        } else {
          auto r = ss.apply_many({s});
          if (!r) ++errors, why[c] = r.error().message;
        }
      }
    });
  go = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0) << why[0] << why[1] << why[2] << why[3];
  ServiceStore ss(*store_, cfg);
  auto all = ss.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), size_t(kClients * kEach));
  std::set<net::IpAddress> ips;
  std::set<uint16_t> ports;
  for (const auto& s : *all) {
    EXPECT_TRUE(ips.insert(*s.clusterIP).second) << s.clusterIP->str();
    EXPECT_TRUE(ports.insert(s.ports[0].nodePort).second) << s.ports[0].nodePort;
    EXPECT_EQ(value_of(*store_, svcstore::cluster_ip_key(*s.clusterIP)), "default/" + s.name);
    EXPECT_EQ(value_of(*store_, svcstore::node_port_key(s.ports[0].nodePort)), "default/" + s.name);
  }
  EXPECT_EQ(store_->list(svcstore::cluster_ip_prefix)->items.size(), size_t(kClients * kEach));
}

}  // namespace
}  // namespace podnet::store::testing
