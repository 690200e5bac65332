// The contract every store backend satisfies; run against sqlite (unit) and etcd (integration).
#include "store_contract.hpp"

#include <poll.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

namespace podnet::store::testing {

using namespace std::chrono_literals;
using Type = Event::Type;

void StoreContract::SetUp() {
  std::string why;
  backend_ = GetParam().make(&why);
  if (!backend_) GTEST_SKIP() << why;
  store_ = client();
  ASSERT_TRUE(store_);
}

void StoreContract::TearDown() {
  store_.reset();
  backend_.reset();
}

std::unique_ptr<Store> StoreContract::client() {
  auto s = open_store(backend_->url());
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

std::vector<Event> collect(Watcher& w, size_t n, std::chrono::milliseconds timeout) {
  std::vector<Event> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    auto r = w.next(left);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) break;
    EXPECT_FALSE(r->compacted);
    if (r->compacted) break;
    for (auto& e : r->events) out.push_back(std::move(e));
  }
  return out;
}

namespace {

std::string keys_of(const std::vector<KeyValue>& kvs) {
  std::string s;
  for (const auto& kv : kvs) s += kv.key + " ";
  return s;
}

TEST_P(StoreContract, GetOfAbsentKeyIsEmpty) {
  auto r = store_->get("/podnet/nodes/none");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST_P(StoreContract, PutThenGetTracksRevisions) {
  auto r1 = store_->put("/podnet/nodes/a", R"({"name":"a"})");
  ASSERT_TRUE(r1) << r1.error().message;
  auto g1 = store_->get("/podnet/nodes/a");
  ASSERT_TRUE(g1 && g1->has_value());
  EXPECT_EQ((*g1)->value, R"({"name":"a"})");
  EXPECT_EQ((*g1)->create_revision, *r1);
  EXPECT_EQ((*g1)->mod_revision, *r1);
  EXPECT_EQ((*g1)->lease, 0);

  auto r2 = store_->put("/podnet/nodes/a", R"({"name":"a","v":2})");
  ASSERT_TRUE(r2);
  EXPECT_GT(*r2, *r1);
  auto g2 = store_->get("/podnet/nodes/a");
  ASSERT_TRUE(g2 && g2->has_value());
  EXPECT_EQ((*g2)->create_revision, *r1);
  EXPECT_EQ((*g2)->mod_revision, *r2);

  // Values are bytes: empty and binary values survive.
  std::string binary("\0\x01\xff{", 4);
  ASSERT_TRUE(store_->put("/bin", binary));
  ASSERT_TRUE(store_->put("/empty", ""));
  EXPECT_EQ((*store_->get("/bin"))->value, binary);
  EXPECT_EQ((*store_->get("/empty"))->value, "");
}

TEST_P(StoreContract, ListReturnsSortedKeysUnderThePrefixOnly) {
  for (const char* k : {"/podnet/nodes/b", "/podnet/nodes/a", "/podnet/nodes/c/x",
                        "/podnet/nodesx", "/podnet/node", "/podnet/pods/default/p"})
    ASSERT_TRUE(store_->put(k, "v"));
  auto last = store_->put("/podnet/nodes/d", "v");
  ASSERT_TRUE(last);
  auto r = store_->list("/podnet/nodes/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(keys_of(r->items), "/podnet/nodes/a /podnet/nodes/b /podnet/nodes/c/x /podnet/nodes/d ");
  EXPECT_GE(r->revision, *last);
  auto all = store_->list("");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 7u);
  auto none = store_->list("/nothing/");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->revision, r->revision);
}

TEST_P(StoreContract, ListReturnsEverythingPastOnePage) {
  constexpr int kKeys = 1100, kWriters = 4;  // more than one etcd page (1000)
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kWriters; ++t)
    ts.emplace_back([&, t] {
      auto c = client();
      for (int i = t; i < kKeys; i += kWriters)
        if (!c || !c->put(fmt::format("/podnet/pods/ns/p{:05}", i), "v")) ++errors;
    });
  for (auto& t : ts) t.join();
  ASSERT_EQ(errors.load(), 0);
  auto r = store_->list("/podnet/pods/");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->items.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(r->items[i].key, fmt::format("/podnet/pods/ns/p{:05}", i));
  auto n = store_->del_prefix("/podnet/pods/");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kKeys);
}

TEST_P(StoreContract, CreateWritesOnlyIfAbsent) {
  auto c1 = store_->create("/podnet/subnets/192.168.1.0-24", "node-a");
  ASSERT_TRUE(c1) << c1.error().message;
  EXPECT_TRUE(c1->succeeded);
  auto c2 = store_->create("/podnet/subnets/192.168.1.0-24", "node-b");
  ASSERT_TRUE(c2);
  EXPECT_FALSE(c2->succeeded);
  ASSERT_TRUE(c2->current);
  EXPECT_EQ(c2->current->value, "node-a");
  EXPECT_EQ(c2->current->mod_revision, c1->revision);
  EXPECT_GE(c2->revision, c1->revision);
  EXPECT_EQ((*store_->get("/podnet/subnets/192.168.1.0-24"))->value, "node-a");
  // After a delete the key can be created again.
  ASSERT_TRUE(store_->del("/podnet/subnets/192.168.1.0-24"));
  auto c3 = store_->create("/podnet/subnets/192.168.1.0-24", "node-b");
  ASSERT_TRUE(c3 && c3->succeeded);
}

TEST_P(StoreContract, CompareAndSwapChecksModRevision) {
  auto miss = store_->compare_and_swap("/cfg", "v1", 5);  // absent: only 0 matches
  ASSERT_TRUE(miss) << miss.error().message;
  EXPECT_FALSE(miss->succeeded);
  EXPECT_FALSE(miss->current);

  auto a = store_->compare_and_swap("/cfg", "v1", 0);
  ASSERT_TRUE(a && a->succeeded);
  auto again = store_->compare_and_swap("/cfg", "v1b", 0);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->succeeded);

  auto b = store_->compare_and_swap("/cfg", "v2", a->revision);
  ASSERT_TRUE(b && b->succeeded);
  auto stale = store_->compare_and_swap("/cfg", "v3", a->revision);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->succeeded);
  ASSERT_TRUE(stale->current);
  EXPECT_EQ(stale->current->value, "v2");
  EXPECT_EQ(stale->current->mod_revision, b->revision);
  auto g = store_->get("/cfg");
  EXPECT_EQ((*g)->value, "v2");
  EXPECT_EQ((*g)->create_revision, a->revision);
}

TEST_P(StoreContract, DeleteAndDeleteIf) {
  auto r = store_->put("/k", "v");
  ASSERT_TRUE(r);
  auto stale = store_->del_if("/k", *r - 1);
  ASSERT_TRUE(stale) << stale.error().message;
  EXPECT_FALSE(stale->succeeded);
  ASSERT_TRUE(stale->current);
  EXPECT_EQ(stale->current->mod_revision, *r);
  auto ok = store_->del_if("/k", *r);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->succeeded);
  EXPECT_GT(ok->revision, *r);
  EXPECT_FALSE(*store_->get("/k"));
  auto gone = store_->del_if("/k", *r);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->succeeded);
  EXPECT_FALSE(gone->current);
  EXPECT_FALSE(store_->del_if("/k", 0)->succeeded);  // nothing to delete

  ASSERT_TRUE(store_->put("/k2", "v"));
  EXPECT_TRUE(*store_->del("/k2"));
  EXPECT_FALSE(*store_->del("/k2"));
}

TEST_P(StoreContract, DeletePrefixRemovesOnlyThatPrefix) {
  for (const char* k : {"/podnet/pods/ns1/a", "/podnet/pods/ns1/b", "/podnet/pods/ns10/c",
                        "/podnet/pods/ns2/d"})
    ASSERT_TRUE(store_->put(k, "v"));
  auto n = store_->del_prefix("/podnet/pods/ns1/");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(keys_of(store_->list("/podnet/pods/")->items), "/podnet/pods/ns10/c /podnet/pods/ns2/d ");
}

TEST_P(StoreContract, ConcurrentCreatesHaveExactlyOneWinner) {
  constexpr int kClients = 6;
  std::vector<std::unique_ptr<Store>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client());
  for (int round = 0; round < 5; ++round) {
    std::atomic<int> winners{0}, errors{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    std::string key = "/podnet/subnets/race-" + std::to_string(round);
    for (int i = 0; i < kClients; ++i)
      ts.emplace_back([&, i] {
        while (!go) std::this_thread::yield();
        auto r = clients[i]->create(key, "client-" + std::to_string(i));
        if (!r) ++errors;
        else if (r->succeeded) ++winners;
      });
    go = true;
    for (auto& t : ts) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

TEST_P(StoreContract, CompareAndSwapLoopsLoseNoUpdate) {
  constexpr int kClients = 4, kIncrements = 15;
  ASSERT_TRUE(store_->put("/counter", "0"));
  std::vector<std::unique_ptr<Store>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client());
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kClients; ++i)
    ts.emplace_back([&, i] {
      for (int n = 0; n < kIncrements; ++n) {
        for (;;) {
          auto cur = clients[i]->get("/counter");
          if (!cur || !*cur) { ++errors; return; }
          int v = std::stoi((*cur)->value);
          auto r = clients[i]->compare_and_swap("/counter", std::to_string(v + 1), (*cur)->mod_revision);
          if (!r) { ++errors; return; }
          if (r->succeeded) break;
        }
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ((*store_->get("/counter"))->value, std::to_string(kClients * kIncrements));
}

TEST_P(StoreContract, WatchDeliversHistoryAfterTheRevisionInOrder) {
  auto r1 = *store_->put("/podnet/nodes/a", "1");
  auto r2 = *store_->put("/podnet/nodes/b", "1");
  ASSERT_TRUE(store_->put("/podnet/other", "x"));
  auto r3 = *store_->put("/podnet/nodes/a", "2");
  ASSERT_TRUE(store_->del("/podnet/nodes/b"));
  auto w = store_->watch("/podnet/nodes/", r1);
  ASSERT_TRUE(w) << w.error().message;
  auto evs = collect(**w, 3, 5s);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].type, Type::put);
  EXPECT_EQ(evs[0].kv.key, "/podnet/nodes/b");
  EXPECT_EQ(evs[0].kv.mod_revision, r2);
  EXPECT_EQ(evs[1].type, Type::put);
  EXPECT_EQ(evs[1].kv.key, "/podnet/nodes/a");
  EXPECT_EQ(evs[1].kv.value, "2");
  EXPECT_EQ(evs[1].kv.create_revision, r1);
  EXPECT_EQ(evs[1].kv.mod_revision, r3);
  ASSERT_TRUE(evs[1].prev);
  EXPECT_EQ(evs[1].prev->value, "1");
  EXPECT_EQ(evs[2].type, Type::del);
  EXPECT_EQ(evs[2].kv.key, "/podnet/nodes/b");
  EXPECT_GT(evs[2].kv.mod_revision, r3);
  ASSERT_TRUE(evs[2].prev);
  EXPECT_EQ(evs[2].prev->value, "1");
  EXPECT_TRUE(collect(**w, 1, 200ms).empty());  // nothing else (the /podnet/other put)
  EXPECT_GE((*w)->revision(), evs[2].kv.mod_revision);
}

TEST_P(StoreContract, WatchSeesLiveChangesFromAnotherClientInOrder) {
  auto listing = store_->list("/podnet/nodes/");
  ASSERT_TRUE(listing);
  auto w = store_->watch("/podnet/nodes/", listing->revision);
  ASSERT_TRUE(w) << w.error().message;
  auto other = client();
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      (void)other->put("/podnet/nodes/n" + std::to_string(i % 3), std::to_string(i));
      (void)other->put("/podnet/services/x", "ignored");
    }
    (void)other->del("/podnet/nodes/n0");
  });
  auto evs = collect(**w, 21, 10s);
  writer.join();
  ASSERT_EQ(evs.size(), 21u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(evs[i].kv.key, "/podnet/nodes/n" + std::to_string(i % 3));
    EXPECT_EQ(evs[i].kv.value, std::to_string(i));
    if (i > 0) {
      EXPECT_GT(evs[i].kv.mod_revision, evs[i - 1].kv.mod_revision);
    }
  }
  EXPECT_EQ(evs[20].type, Type::del);
}

TEST_P(StoreContract, WatchTimesOutQuietlyAndItsFdSignalsEvents) {
  auto w = store_->watch("/a/", *store_->put("/x", "y"));
  ASSERT_TRUE(w) << w.error().message;
  auto t0 = std::chrono::steady_clock::now();
  auto r = (*w)->next(300ms);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->events.empty());
  EXPECT_FALSE(r->compacted);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1500ms);

  ASSERT_TRUE(client()->put("/a/1", "v"));
  pollfd p{(*w)->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 3000), 1) << "watch fd did not become readable";
  auto evs = collect(**w, 1, 3s);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kv.key, "/a/1");
}

TEST_P(StoreContract, WatchBehindCompactionReportsCompacted) {
  auto first = *store_->put("/c/k", "0");
  Revision last = first;
  for (int i = 1; i <= 10; ++i) last = *store_->put("/c/k", std::to_string(i));
  auto c = store_->compact(last - 2);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(store_->compact(first)) << "compacting below the compaction point is a no-op";
  EXPECT_FALSE(store_->compact(last + 1000)) << "future revision";

  auto w = store_->watch("/c/", first);
  ASSERT_TRUE(w) << w.error().message;
  auto r = (*w)->next(3s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->compacted);
  EXPECT_TRUE(r->events.empty());
  EXPECT_GE(r->compact_revision, last - 2);
  // The watcher is finished: it keeps saying so.
  auto again = (*w)->next(0ms);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->compacted);

  // Relist and watch again: works.
  auto listing = store_->list("/c/");
  ASSERT_TRUE(listing);
  auto w2 = store_->watch("/c/", listing->revision);
  ASSERT_TRUE(w2);
  ASSERT_TRUE(store_->put("/c/k", "new"));
  auto evs = collect(**w2, 1, 3s);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].kv.value, "new");
}

TEST_P(StoreContract, RevokingALeaseDeletesItsKeysWithEvents) {
  auto lease = store_->grant_lease(30s);
  ASSERT_TRUE(lease) << lease.error().message;
  auto r = store_->put("/podnet/subnets/a", "node-a", *lease);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(store_->create("/podnet/subnets/b", "node-a", *lease)->succeeded);
  ASSERT_TRUE(store_->put("/podnet/subnets/c", "no lease"));
  EXPECT_EQ((*store_->get("/podnet/subnets/a"))->lease, *lease);
  auto w = store_->watch("/podnet/subnets/", *r);
  ASSERT_TRUE(w);
  ASSERT_TRUE(store_->revoke(*lease));
  auto evs = collect(**w, 4, 5s);  // create b, put c, then the two deletes
  ASSERT_EQ(evs.size(), 4u);
  EXPECT_EQ(evs[0].type, Type::put);
  EXPECT_EQ(evs[1].type, Type::put);
  EXPECT_EQ(evs[2].type, Type::del);
  EXPECT_EQ(evs[3].type, Type::del);
  EXPECT_EQ(evs[2].kv.key + evs[3].kv.key, "/podnet/subnets/a/podnet/subnets/b");
  EXPECT_EQ(keys_of(store_->list("/podnet/subnets/")->items), "/podnet/subnets/c ");
  EXPECT_EQ(store_->keep_alive(*lease)->count(), 0);
  EXPECT_TRUE(store_->revoke(*lease)) << "revoking twice is fine";
}

TEST_P(StoreContract, UnknownLeasesAreRefused) {
  auto lease = store_->grant_lease(30s);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(store_->revoke(*lease));
  EXPECT_FALSE(store_->put("/k", "v", *lease));
  EXPECT_FALSE(store_->create("/k", "v", *lease));
  EXPECT_FALSE(*store_->get("/k"));
  auto ka = store_->keep_alive(*lease);
  ASSERT_TRUE(ka) << ka.error().message;
  EXPECT_EQ(ka->count(), 0);
  EXPECT_FALSE(store_->grant_lease(0s));
}

TEST_P(StoreContract, ExpiredLeaseDeletesItsKeysWithEvents) {
  auto lease = store_->grant_lease(1s);
  ASSERT_TRUE(lease) << lease.error().message;
  auto r = store_->create("/podnet/subnets/x", "node-a", *lease);
  ASSERT_TRUE(r && r->succeeded);
  auto w = store_->watch("/podnet/subnets/", r->revision);
  ASSERT_TRUE(w);
  auto t0 = std::chrono::steady_clock::now();
  auto evs = collect(**w, 1, 8s);  // nobody but the watcher is active meanwhile
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, Type::del);
  EXPECT_EQ(evs[0].kv.key, "/podnet/subnets/x");
  EXPECT_GE(took, 500ms);
  EXPECT_FALSE(*store_->get("/podnet/subnets/x"));
  EXPECT_EQ(store_->keep_alive(*lease)->count(), 0);
  // The subnet is free again for someone else.
  EXPECT_TRUE(client()->create("/podnet/subnets/x", "node-b")->succeeded);
}

TEST_P(StoreContract, KeepAliveHoldsTheLease) {
  auto lease = store_->grant_lease(2s);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(store_->put("/podnet/subnets/kept", "node-a", *lease));
  // A control lease granted after it with the same TTL and never renewed: once the store has
  // expired the control's key (its delete event), the kept lease's own TTL has run out too,
  // so its key is there only thanks to the keep-alives. No clock decides it.
  auto control = store_->grant_lease(2s);
  ASSERT_TRUE(control);
  auto r = store_->put("/podnet/subnets/control", "node-b", *control);
  ASSERT_TRUE(r);
  auto w = store_->watch("/podnet/subnets/control", *r);
  ASSERT_TRUE(w);
  bool expired = false;
  for (auto end = std::chrono::steady_clock::now() + 30s;
       !expired && std::chrono::steady_clock::now() < end;) {
    auto ttl = store_->keep_alive(*lease);
    ASSERT_TRUE(ttl) << ttl.error().message;
    EXPECT_GE(ttl->count(), 2);
    // Renewing every 400 ms leaves a 2 s lease five chances; the wait is for the control's
    // expiry, which also drives the sqlite watcher's reaping.
    auto ev = (*w)->next(400ms);
    ASSERT_TRUE(ev) << ev.error().message;
    for (const auto& e : ev->events) expired |= e.type == Type::del;
  }
  ASSERT_TRUE(expired) << "the control lease never expired";
  EXPECT_FALSE(*store_->get("/podnet/subnets/control"));
  EXPECT_TRUE(*store_->get("/podnet/subnets/kept"));
  ASSERT_TRUE(store_->revoke(*lease));
  EXPECT_FALSE(*store_->get("/podnet/subnets/kept"));
}

}  // namespace
}  // namespace podnet::store::testing
