// The sqlite backend beyond the shared contract: several processes on one file, prompt and
// idle-cheap watches, history trimming, persistence, lock timeouts.
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <fmt/format.h>

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
  int go[2], ready[2];
  EXPECT_EQ(::pipe(go), 0);
  EXPECT_EQ(::pipe(ready), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      ::close(ready[0]);
      auto s = open_store(url);  // concurrent first opens of a new file are part of the test
      (void)!::write(ready[1], "r", 1);
      ::close(ready[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // EOF when the parent closes its end: all start together
      ::_exit(s ? body(**s, i) : 100);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(ready[1]);
  // Every child has opened the store and is about to block on `go` (EOF here also means a
  // child died early; its exit code tells).
  for (int got = 0; got < n;) {
    char buf[16];
    ssize_t r = ::read(ready[0], buf, sizeof buf);
    if (r <= 0) break;
    got += static_cast<int>(r);
  }
  ::close(ready[0]);
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
        if (!r)
          ++errors;
        else if (r->succeeded)
          ++winners;
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
  // Lock step: the child writes once per byte the parent sends, so every write is its own
  // wake-up (no pacing sleeps).
  int turn[2];
  ASSERT_EQ(::pipe(turn), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(turn[1]);
    auto c = open_store(url);
    if (!c) ::_exit(1);
    char t;
    for (int i = 0; i < kWrites; ++i) {
      if (::read(turn[0], &t, 1) != 1) ::_exit(3);
      if (!(*c)->put("/podnet/nodes/n" + std::to_string(i), std::to_string(realtime_us())))
        ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(turn[0]);
  std::int64_t worst = 0;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_EQ(::write(turn[1], "w", 1), 1);
    // The watcher's fd becomes readable only through inotify (the 1 s safety net is a poll
    // timeout inside next(), never a readable fd): readable proves the prompt wake-up without
    // timing it. The deadline only bounds a broken run.
    std::vector<Event> got;
    while (got.empty()) {
      pollfd p{(*w)->fd(), POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 30'000), 1) << "write " << i << " did not wake the watcher's fd";
      auto r = (*w)->next(0ms);
      ASSERT_TRUE(r) << r.error().message;
      got = std::move(r->events);
    }
    ASSERT_EQ(got.size(), 1u) << "write " << i;
    EXPECT_EQ(got[0].kv.key, "/podnet/nodes/n" + std::to_string(i));
    worst = std::max<std::int64_t>(worst, realtime_us() - std::stoll(got[0].kv.value));
  }
  ::close(turn[1]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
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
  std::int64_t cpu =
      us(after.ru_utime) - us(before.ru_utime) + us(after.ru_stime) - us(before.ru_stime);
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

TEST(SqliteStore, ABurstComesInOneAnswer) {
  // 3000 puts under the prefix (interleaved with others) in one transaction: one next() has
  // them all. Left for a later call, they would wait for another write or the caller's timeout.
  TempDir dir("sqb3");
  auto s = must_open("sqlite://" + dir.path() + "/store.db");
  auto w = s->watch("/podnet/services/", *s->put("/x", "y"));
  ASSERT_TRUE(w);
  Txn txn;
  for (int i = 0; i < 3000; ++i) {
    txn.ops.push_back(
        {TxnOp::Type::put, fmt::format("/podnet/services/default/s{:04}", i), "v", 0});
    txn.ops.push_back({TxnOp::Type::put, fmt::format("/podnet/serviceips/{}", i), "o", 0});
  }
  ASSERT_TRUE(s->commit(txn));
  auto r = (*w)->next(1s);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->events.size(), 3000u);
  EXPECT_EQ(r->events.back().kv.key, "/podnet/services/default/s2999");
  auto more = (*w)->next(0ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more->events.empty());
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
  auto patient = must_open("sqlite://" + path + "?busy_timeout_ms=60000");
  ASSERT_TRUE(s && patient);
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
  // A writer finishing within the timeout is simply waited for. The waiting put gets a long
  // timeout (a slow machine cannot fail it), and the lock is released only once the put is
  // seen waiting: its thread sleeping in sqlite's busy handler (the only sleep on that path).
  std::atomic<pid_t> tid{0};
  std::atomic<bool> put_ok{false};
  std::thread writer([&] {
    tid = ::gettid();
    put_ok = patient->put("/k", "v2").has_value();
  });
  auto sleeping = [&] {  // /proc/.../syscall: the number of the syscall it is blocked in
    std::ifstream f(fmt::format("/proc/self/task/{}/syscall", tid.load()));
    long nr = -1;
    f >> nr;
    return nr == SYS_clock_nanosleep || nr == SYS_nanosleep;
  };
  bool waited = false;
  for (auto end = std::chrono::steady_clock::now() + 30s;
       !waited && std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(1ms))
    waited = tid != 0 && sleeping();
  EXPECT_TRUE(waited) << "the put never waited for the lock";
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  writer.join();
  EXPECT_TRUE(put_ok);
  EXPECT_EQ((*s->get("/k"))->value, "v2");
  sqlite3_close(raw);
}

}  // namespace
}  // namespace podnet::store::testing
