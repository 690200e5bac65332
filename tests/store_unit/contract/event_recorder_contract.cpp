// The event recorder on every store backend: a repeat bumps count on one key (also across
// recorders, as after a restart), the history stays within its bound however many events come,
// and a store that does not answer costs the caller nothing but a log line.
#include <fmt/format.h>

#include "podnet/events/recorder.hpp"
#include "store_contract.hpp"

namespace podnet::store::testing {
namespace {

using namespace std::chrono_literals;

const cluster::ObjectRef pod = cluster::pod_ref("default", "web-x4k2p");

TEST_P(StoreContract, EventRepeatsBumpCountOnOneKeyAcrossRecorders) {
  {
    events::Recorder rec(*store_, {"kubelet", "lxb001"});
    for (int i = 0; i < 3; ++i) rec.warning(pod, "FailedCreatePodSandBox", "CNI ADD: no subnet");
    ASSERT_TRUE(rec.flush(20s));
    rec.warning(pod, "FailedCreatePodSandBox", "CNI ADD: no subnet");  // the cached key: a CAS
    rec.normal(pod, "Started", "Started container app");
    ASSERT_TRUE(rec.flush(20s));
  }
  auto other = client();
  events::Recorder again(*other, {"kubelet", "lxb001"});  // a restarted kubelet
  again.warning(pod, "FailedCreatePodSandBox", "CNI ADD: no subnet");
  ASSERT_TRUE(again.flush(20s));

  auto listed = events::list_events(*store_, "default");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  std::map<std::string, cluster::Event> by_reason;
  for (const auto& e : *listed) by_reason[e.event.reason] = e.event;
  EXPECT_EQ(by_reason["FailedCreatePodSandBox"].count, 5);
  EXPECT_EQ(by_reason["FailedCreatePodSandBox"].type, cluster::EventType::Warning);
  EXPECT_EQ(by_reason["FailedCreatePodSandBox"].source.host, "lxb001");
  EXPECT_EQ(by_reason["Started"].count, 1);
  EXPECT_LE(by_reason["FailedCreatePodSandBox"].first, by_reason["FailedCreatePodSandBox"].last);
}

TEST_P(StoreContract, EventHistoryStaysWithinItsBound) {
  // Two recorders (two processes' worth) write 3x the bound of distinct events between them.
  constexpr size_t bound = 100;
  auto other = client();
  events::Recorder a(*store_, {"kubelet", "lxb001"}, {.bound = bound, .prune_every = 16});
  events::Recorder b(*other, {"kubelet", "lxb002"}, {.bound = bound, .prune_every = 16});
  for (size_t i = 0; i < 3 * bound; ++i) {
    auto& rec = i % 2 ? b : a;
    rec.normal(cluster::pod_ref("default", fmt::format("p{}", i)), "Scheduled", "assigned");
    if (i % 50 == 49) {
      // Between prunes the store may hold a prune interval more per recorder; after a flush
      // (which prunes) never more than the bound.
      ASSERT_TRUE(a.flush(30s));
      ASSERT_TRUE(b.flush(30s));
      auto n = store_->list(cluster::events_prefix);
      ASSERT_TRUE(n) << n.error().message;
      EXPECT_LE(n->items.size(), bound) << "after " << i + 1 << " events";
    }
  }
  ASSERT_TRUE(a.flush(30s));
  ASSERT_TRUE(b.flush(30s));
  auto listed = events::list_events(*store_, "");
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_LE(listed->size(), bound);
  EXPECT_GE(listed->size(), bound / 2);
  // The newest survive: the last event recorded is there.
  bool newest = false;
  for (const auto& e : *listed)
    newest |= e.event.involved.name == fmt::format("p{}", 3 * bound - 1);
  EXPECT_TRUE(newest);
}

TEST_P(StoreContract, EventRecorderOnAnUnreachableStoreNeverBlocksTheCaller) {
  auto dead = open_store("etcd://127.0.0.1:9?timeout_ms=200");
  ASSERT_TRUE(dead) << dead.error().message;
  {
    events::Recorder rec(**dead, {"podnetd", "lxb001"}, {.drain_on_stop = 300ms});
    for (int i = 0; i < 2000; ++i)  // more than the queue holds: the oldest are dropped
      rec.normal(cluster::node_ref("lxb001"), "RouteAdded", fmt::format("route {}", i));
  }  // the destructor gives up on the queue after drain_on_stop
  SUCCEED();
}

}  // namespace
}  // namespace podnet::store::testing
