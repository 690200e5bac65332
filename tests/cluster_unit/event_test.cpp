// Events: key layout, JSON shape (kubectl's Event), repeats, coalescing, ordering, pruning.
#include "podnet/cluster/event.hpp"

#include <gtest/gtest.h>

#include <set>

namespace podnet::cluster {
namespace {

Event scheduled(std::string pod = "web-x4k2p", int64_t at = 1764702317) {
  return Event{.involved = pod_ref("default", pod),
               .type = EventType::Normal,
               .reason = "Scheduled",
               .message = "Successfully assigned default/" + pod + " to lxb001",
               .source = {"default-scheduler", ""},
               .count = 1,
               .first = at,
               .last = at};
}

TEST(Event, KeyIsTheObjectNameAndAHashOfWhatMakesItTheSame) {
  Event e = scheduled();
  const std::string key = event_key(e);
  EXPECT_TRUE(key.starts_with("/podnet/events/default/web-x4k2p.")) << key;
  EXPECT_EQ(key.size(), std::string("/podnet/events/default/web-x4k2p.").size() + 16);
  Event later = e;
  later.first = later.last = e.last + 60;
  later.count = 3;
  EXPECT_EQ(event_key(later), key) << "times and count are not part of the identity";
  Event other = e;
  other.message = "Successfully assigned default/web-x4k2p to lxb002";
  EXPECT_NE(event_key(other), key);
  Event warn = e;
  warn.type = EventType::Warning;
  EXPECT_NE(event_key(warn), key);
  EXPECT_TRUE(same_event(e, later));
  EXPECT_FALSE(same_event(e, other));
}

TEST(Event, NodeEventsLiveInTheDefaultNamespace) {
  Event e{.involved = node_ref("lxb001"),
          .reason = "RouteAdded",
          .message = "m",
          .source = {"podnetd", "lxb001"},
          .first = 1,
          .last = 1};
  EXPECT_EQ(event_namespace(e), "default");
  EXPECT_TRUE(event_key(e).starts_with("/podnet/events/default/lxb001."));
  EXPECT_FALSE(to_json(e)["involvedObject"].contains("namespace"));
}

TEST(Event, JsonIsKubectlsEventShapeAndReadsBack) {
  Event e = scheduled();
  e.count = 2;
  e.last += 5;
  auto j = to_json(e);
  EXPECT_EQ(j["metadata"]["name"], event_name(e));
  EXPECT_EQ(j["metadata"]["namespace"], "default");
  EXPECT_EQ(j["metadata"]["creationTimestamp"], "2025-12-02T19:05:17Z");
  EXPECT_EQ(j["involvedObject"],
            (nlohmann::json{{"kind", "Pod"}, {"namespace", "default"}, {"name", "web-x4k2p"}}));
  EXPECT_EQ(j["reason"], "Scheduled");
  EXPECT_EQ(j["type"], "Normal");
  EXPECT_EQ(j["source"], (nlohmann::json{{"component", "default-scheduler"}}));
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["firstTimestamp"], "2025-12-02T19:05:17Z");
  EXPECT_EQ(j["lastTimestamp"], "2025-12-02T19:05:22Z");
  auto back = event_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, e);
}

TEST(Event, ParserNamesTheBadField) {
  auto j = to_json(scheduled());
  auto bad = [&](auto edit) {
    auto c = j;
    edit(c);
    auto r = event_from_json(c);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(bad([](auto& c) { c.erase("involvedObject"); }), "involvedObject: missing");
  EXPECT_EQ(bad([](auto& c) { c["involvedObject"].erase("kind"); }),
            "involvedObject.kind: missing");
  EXPECT_EQ(bad([](auto& c) { c["type"] = "Info"; }),
            "type: unknown value \"Info\" (want one of Normal, Warning)");
  EXPECT_EQ(bad([](auto& c) { c["count"] = 0; }), "count: 0 must be at least 1");
  EXPECT_NE(bad([](auto& c) { c["lastTimestamp"] = "yesterday"; }).find("lastTimestamp"),
            std::string::npos);
}

TEST(Event, RepeatAddsCountKeepsFirstMovesLast) {
  Event stored = scheduled();
  stored.count = 4;
  Event fresh = scheduled("web-x4k2p", stored.first + 30);
  auto m = merge_repeat(stored, fresh);
  EXPECT_EQ(m.count, 5);
  EXPECT_EQ(m.first, stored.first);
  EXPECT_EQ(m.last, stored.first + 30);
}

TEST(Event, CoalesceFoldsRepeatsOfABatchInFirstSeenOrder) {
  Event a = scheduled("a"), b = scheduled("b");
  Event a2 = scheduled("a", a.last + 1), a3 = scheduled("a", a.last + 2);
  auto out = coalesce({a, b, a2, a3});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].involved.name, "a");
  EXPECT_EQ(out[0].count, 3);
  EXPECT_EQ(out[0].last, a.last + 2);
  EXPECT_EQ(out[1].involved.name, "b");
  EXPECT_EQ(out[1].count, 1);
}

TEST(Event, SortedByLastSeenThenRevisionAndFilteredByObject) {
  std::vector<StoredEvent> v = {
      {scheduled("a", 20), "k1", 7}, {scheduled("b", 10), "k2", 9}, {scheduled("a", 20), "k3", 5}};
  sort_by_last_seen(v);
  EXPECT_EQ(v[0].key, "k2");
  EXPECT_EQ(v[1].key, "k3");
  EXPECT_EQ(v[2].key, "k1");
  auto about = events_about(v, pod_ref("default", "a"));
  ASSERT_EQ(about.size(), 2u);
  EXPECT_EQ(about[0].key, "k3");
  EXPECT_TRUE(events_about(v, deployment_ref("default", "a")).empty());
}

TEST(Event, PruneDeletesTheOldestBeyondTheBoundUnparsableFirst) {
  std::vector<PruneCandidate> all;
  for (int i = 0; i < 10; ++i) all.push_back({"k" + std::to_string(i), 100 + i, i + 1});
  all.push_back({"bad", 0, 50});
  EXPECT_TRUE(plan_event_prune(all, 11).empty());
  auto doomed = plan_event_prune(all, 8);
  ASSERT_EQ(doomed.size(), 3u);
  std::set<std::string> keys;
  for (const auto& d : doomed) keys.insert(d.key);
  EXPECT_EQ(keys, (std::set<std::string>{"bad", "k0", "k1"}));
  // Same second: the older write goes first.
  auto same = plan_event_prune({{"new", 5, 9}, {"old", 5, 3}}, 1);
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0].key, "old");
}

}  // namespace
}  // namespace podnet::cluster
