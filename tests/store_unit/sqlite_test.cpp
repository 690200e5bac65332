// The sqlite backend beyond the shared contract: several processes on one file, prompt and
// idle-cheap watches, history trimming, persistence, lock timeouts.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "contract/store_contract.hpp"
#include "podnet/store/store.hpp"
#include "temp_dir.hpp"

namespace podnet::store::testing {
namespace {

using namespace std::chrono_literals;

std::int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

std::unique_ptr<Store> must_open(const std::string& url) {
  auto s = open_store(url);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

// Forks `n` children that each open the store, wait for a common start signal and run `body`;
// returns their exit codes.
std::vector<int> run_processes(int n, const std::string& url,
                               const std::function<int(Store&, int)>& body) {
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      auto s = open_store(url);  // concurrent first opens of a new file are part of the test
      char c;
      (void)!::read(go[0], &c, 1);  // EOF when the parent closes its end: all start together
      ::_exit(s ? body(**s, i) : 100);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  std::this_thread::sleep_for(100ms);
  ::close(go[1]);
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    codes.push_back(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  return codes;
}

TEST(SqliteStore, CreateRaceAcrossProcessesHasOneWinner) {
  TempDir dir("sqr");
  const std::string url = "sqlite://" + dir.path() + "/store.db";
  for (int round = 0; round < 3; ++round) {
    std::string key = "/podnet/subnets/10.0." + std::to_string(round) + ".0-24";
    auto codes = run_processes(8, url, [&](Store& s, int i) {
      auto r = s.create(key, "node-" + std::to_string(i));
      return r ? (r->succeeded ? 0 : 1) : 2;
    });
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 0), 1) << "round " << round;
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 7) << "round " << round;
  }
  auto s = must_open(url);
  EXPECT_EQ(s->list("/podnet/subnets/")->items.size(), 3u);
}

TEST(SqliteStore, CompareAndSwapAcrossProcessesLosesNoUpdate) {
  TempDir dir("sqc");
  const std::string url = "sqlite://" + dir.path() + "/store.db";
  ASSERT_TRUE(must_open(url)->put("/counter", "0"));
  constexpr int kProcs = 4, kIncrements = 40;
  auto codes = run_processes(kProcs, url, [&](Store& s, int) {
    for (int n = 0; n < kIncrements; ++n) {
      for (;;) {
        auto cur = s.get("/counter");
        if (!cur || !*cur) return 2;
        auto r = s.compare_and_swap("/counter", std::to_string(std::stoi((*cur)->value) + 1),
                                    (*cur)->mod_revision);
        if (!r) return 3;
        if (r->succeeded) break;
      }
    }
    return 0;
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  EXPECT_EQ((*must_open(url)->get("/counter"))->value, std::to_string(kProcs * kIncrements));
}

TEST(SqliteStore, OneStoreSharedByThreads) {
  TempDir dir("sqt");
  auto s = must_open("sqlite://" + dir.path() + "/store.db");
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        auto r = s->create("/k" + std::to_string(k), "v");
        if (!r) ++errors;
        else if (r->succeeded) ++winners;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 20);
}

// Writes from another process wake the watcher at once (inotify), not at the 1 s safety net.
TEST(SqliteStore, WatchWakesPromptlyOnAnotherProcessesWrites) {
  TempDir dir("sqw");
  const std::string url = "sqlite://" + dir.path() + "/store.db";
  auto s = must_open(url);
  auto start = s->list("/podnet/nodes/");
  ASSERT_TRUE(start);
  auto w = s->watch("/podnet/nodes/", start->revision);
  ASSERT_TRUE(w) << w.error().message;
  constexpr int kWrites = 10;
  pid_t pid = ::fork();
  if (pid == 0) {
    auto c = open_store(url);
    if (!c) ::_exit(1);
    for (int i = 0; i < kWrites; ++i) {
      std::this_thread::sleep_for(70ms);
      if (!(*c)->put("/podnet/nodes/n" + std::to_string(i), std::to_string(realtime_us()))) ::_exit(2);
    }
    ::_exit(0);
  }
  std::int64_t worst = 0;
  int seen = 0;
  while (seen < kWrites) {
    auto r = (*w)->next(3s);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->events.empty()) << "no event within 3 s";
    for (const auto& e : r->events) {
      EXPECT_EQ(e.kv.key, "/podnet/nodes/n" + std::to_string(seen));
      worst = std::max<std::int64_t>(worst, realtime_us() - std::stoll(e.kv.value));
      ++seen;
    }
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_LT(worst, 500'000) << "worst wake-up latency " << worst << " us (the safety net is 1 s)";
  std::printf("worst cross-process wake-up latency: %lld us\n", static_cast<long long>(worst));
}

TEST(SqliteStore, IdleWatchUsesNoCpu) {
  TempDir dir("sqi");
  auto s = must_open("sqlite://" + dir.path() + "/store.db");
  auto w = s->watch("/podnet/", *s->put("/x", "y"));
  ASSERT_TRUE(w);
  rusage before{}, after{};
  ::getrusage(RUSAGE_THREAD, &before);
  auto t0 = std::chrono::steady_clock::now();
  auto r = (*w)->next(1500ms);
  auto wall = std::chrono::steady_clock::now() - t0;
  ::getrusage(RUSAGE_THREAD, &after);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->events.empty());
  auto us = [](const timeval& tv) { return std::int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; };
  std::int64_t cpu = us(after.ru_utime) - us(before.ru_utime) + us(after.ru_stime) - us(before.ru_stime);
  EXPECT_GE(wall, 1490ms);
  EXPECT_LT(cpu, 20'000) << "a 1.5 s idle watch used " << cpu << " us of CPU";
  std::printf("CPU used by a 1.5 s idle watch: %lld us\n", static_cast<long long>(cpu));
}

TEST(SqliteStore, LeaseExpiryIsReapedOnTimeByAWaitingWatcher) {
  TempDir dir("sql");
  const std::string url = "sqlite://" + dir.path() + "/store.db";
  Revision rev;
  {
    auto writer = must_open(url);  // the lease holder goes away entirely
    auto lease = writer->grant_lease(1s);
    ASSERT_TRUE(lease);
    rev = *writer->put("/podnet/subnets/a", "node-a", *lease);
  }
  auto s = must_open(url);
  auto w = s->watch("/podnet/subnets/", rev);
  ASSERT_TRUE(w);
  auto t0 = std::chrono::steady_clock::now();
  auto evs = collect(**w, 1, 5s);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, Event::Type::del);
  EXPECT_LT(took, 1400ms);
}

TEST(SqliteStore, HistoryIsTrimmedAndLaggingWatchersAreToldCompacted) {
  TempDir dir("sqh");
  auto s = must_open("sqlite://" + dir.path() + "/store.db?history=5");
  auto first = *s->put("/p/k", "0");
  auto w = s->watch("/p/", first);  // created in time, but its owner lags behind
  ASSERT_TRUE(w);
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(s->put("/p/k", std::to_string(i)));
  auto r = (*w)->next(1s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->compacted);
  EXPECT_GT(r->compact_revision, first);

  // Recent history is still there: a watch 3 revisions back gets them.
  auto listing = s->list("/p/");
  auto w2 = s->watch("/p/", listing->revision - 3);
  ASSERT_TRUE(w2);
  auto evs = collect(**w2, 3, 2s);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[2].kv.value, "30");
}

TEST(SqliteStore, ReopeningKeepsDataAndRevisions) {
  TempDir dir("sqp");
  const std::string url = "sqlite://" + dir.path() + "/store.db";
  Revision r1;
  {
    auto s = must_open(url);
    r1 = *s->put("/podnet/config", R"({"clusterCIDR":"192.168.0.0/16"})");
  }
  auto s = must_open(url);
  auto g = s->get("/podnet/config");
  ASSERT_TRUE(g && *g);
  EXPECT_EQ((*g)->value, R"({"clusterCIDR":"192.168.0.0/16"})");
  EXPECT_GT(*s->put("/podnet/other", "x"), r1);
  EXPECT_EQ(s->describe(), "sqlite://" + dir.path() + "/store.db");
}

TEST(SqliteStore, WritesWaitForOtherWritersThenReportTheLock) {
  TempDir dir("sqb");
  const std::string path = dir.path() + "/store.db";
  auto s = must_open("sqlite://" + path + "?busy_timeout_ms=300");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto t0 = std::chrono::steady_clock::now();
  auto r = s->put("/k", "v");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("locked"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 250ms);
  // Reads are not blocked by a writer (WAL).
  EXPECT_TRUE(s->get("/k"));
  // A writer finishing within the timeout is simply waited for.
  std::thread release([&] {
    std::this_thread::sleep_for(100ms);
    sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  });
  EXPECT_TRUE(s->put("/k", "v"));
  release.join();
  sqlite3_close(raw);
}

}  // namespace
}  // namespace podnet::store::testing
