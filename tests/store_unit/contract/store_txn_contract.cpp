// The store contract for multi-key transactions (commit) and put_many: every backend.
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "store_contract.hpp"

namespace podnet::store::testing {
namespace {

using namespace std::chrono_literals;

TxnOp put(std::string k, std::string v) {
  return TxnOp{TxnOp::Type::put, std::move(k), std::move(v), 0};
}
TxnOp del(std::string k) {
  return TxnOp{TxnOp::Type::del, std::move(k), "", 0};
}

TEST_P(StoreContract, CommitIsAllOrNothing) {
  ASSERT_TRUE(store_->put("/t/old", "x"));
  KeyValue old = **store_->get("/t/old");
  auto w = store_->watch("/t/", old.mod_revision);
  ASSERT_TRUE(w) << w.error().message;
  // Comparisons fail (b exists): nothing is written.
  ASSERT_TRUE(store_->put("/t/b", "taken"));
  auto r = store_->commit(
      Txn{{{"/t/a", 0}, {"/t/b", 0}}, {put("/t/a", "1"), put("/t/b", "1"), del("/t/old")}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->succeeded);
  EXPECT_FALSE(store_->get("/t/a")->has_value());
  EXPECT_EQ((*store_->get("/t/b"))->value, "taken");
  EXPECT_TRUE(store_->get("/t/old")->has_value());
  // Comparisons hold: every op applies.
  KeyValue b = **store_->get("/t/b");
  r = store_->commit(Txn{{{"/t/a", 0}, {"/t/b", b.mod_revision}, {"/t/old", old.mod_revision}},
                         {put("/t/a", "1"), put("/t/b", "2"), del("/t/old")}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->succeeded);
  auto l = store_->list("/t/");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->items.size(), 2u);
  EXPECT_EQ(l->items[0].value, "1");
  EXPECT_EQ(l->items[1].value, "2");
  EXPECT_GE(l->revision, r->revision);
  EXPECT_EQ(l->items[0].mod_revision <= r->revision, true);
  // Watchers see every write of the transaction.
  auto evs = collect(**w, 4, 10s);
  ASSERT_EQ(evs.size(), 4u);  // put b (taken), then the transaction: put a, put b, del old
  EXPECT_EQ(evs[1].kv.key, "/t/a");
  EXPECT_EQ(evs[2].kv.key, "/t/b");
  EXPECT_EQ(evs[3].kv.key, "/t/old");
  EXPECT_EQ(evs[3].type, Event::Type::del);
}

TEST_P(StoreContract, CommitWithoutComparisonsAndEmpty) {
  auto r = store_->commit(Txn{{}, {put("/e/1", "a"), put("/e/2", "b")}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(store_->list("/e/")->items.size(), 2u);
  r = store_->commit(Txn{{{"/e/1", 0}}, {}});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->succeeded);
  r = store_->commit(Txn{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->succeeded);
}

TEST_P(StoreContract, CommitRespectsTheBackendLimit) {
  // Over max_txn_ops(): refused whole (etcd); a backend without a limit takes a big one.
  size_t max = store_->max_txn_ops();
  size_t n = max > 100000 ? 2000 : max;
  Txn t;
  for (size_t i = 0; i < n; ++i) t.ops.push_back(put(fmt::format("/big/{:05}", i), "v"));
  if (max <= 100000) {
    Txn over = t;
    over.ops.push_back(put("/big/over", "v"));
    EXPECT_FALSE(store_->commit(over).has_value());
    EXPECT_TRUE(store_->list("/big/")->items.empty());
  }
  auto r = store_->commit(t);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->succeeded);
  EXPECT_EQ(store_->list("/big/")->items.size(), n);
}

TEST_P(StoreContract, PutManyWritesEveryKeyAcrossBatches) {
  std::vector<std::pair<std::string, std::string>> kvs;
  for (int i = 0; i < 300; ++i) kvs.emplace_back(fmt::format("/many/{:04}", i), std::to_string(i));
  auto r = store_->put_many(kvs);
  ASSERT_TRUE(r) << r.error().message;
  auto l = store_->list("/many/");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->items.size(), 300u);
  EXPECT_EQ(l->items[299].value, "299");
  EXPECT_EQ(*r, l->revision);
  EXPECT_TRUE(store_->put_many({}).has_value());
}

TEST_P(StoreContract, ConcurrentMultiKeyClaimsNeverShareAKey) {
  // Each client claims two keys at once: its own and one shared by all; exactly one wins.
  constexpr int kClients = 5;
  std::vector<std::unique_ptr<Store>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(client());
  for (int round = 0; round < 4; ++round) {
    std::atomic<int> winners{0}, errors{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    std::string shared = fmt::format("/claim/{}/shared", round);
    for (int i = 0; i < kClients; ++i)
      ts.emplace_back([&, i] {
        while (!go) std::this_thread::yield();
        std::string own = fmt::format("/claim/{}/own-{}", round, i);
        auto r = clients[i]->commit(
            Txn{{{own, 0}, {shared, 0}}, {put(own, "x"), put(shared, std::to_string(i))}});
        if (!r)
          ++errors;
        else if (r->succeeded)
          ++winners;
      });
    go = true;
    for (auto& t : ts) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(store_->list(fmt::format("/claim/{}/", round))->items.size(), 2u);
  }
}

}  // namespace
}  // namespace podnet::store::testing
