// ProbeLock on a file of a temp dir (no root): a second holder waits, then fails naming the
// first's pid; an interruption ends the wait at once; the lock is free again once released.
#include "podnet/probe/probe_lock.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace podnet::probe {
namespace {

using namespace std::chrono_literals;

class ProbeLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/podnet-probe-lock-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/trace.lock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static Result<> never() { return {}; }
  std::string dir_, path_;
};

TEST_F(ProbeLockTest, SecondHolderWaitsThenFailsNamingTheFirst) {
  auto first = ProbeLock::acquire(path_, 0ms, never);
  ASSERT_TRUE(first) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto t0 = std::chrono::steady_clock::now();
  auto second = ProbeLock::acquire(path_, 100ms, never);
  ASSERT_FALSE(second);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
  EXPECT_EQ(second.error().message,
            "another trace probe holds " + path_ + " (pid " + std::to_string(::getpid()) +
                "); try again once it ends");
}

TEST_F(ProbeLockTest, InterruptionEndsTheWait) {
  auto first = ProbeLock::acquire(path_, 0ms, never);
  ASSERT_TRUE(first);
  auto second =
      ProbeLock::acquire(path_, 10s, []() -> Result<> { return fail("interrupted by signal 2"); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "interrupted by signal 2");
}

TEST_F(ProbeLockTest, FreeAgainOnceReleased) {
  {
    auto first = ProbeLock::acquire(path_, 0ms, never);
    ASSERT_TRUE(first);
  }
  auto again = ProbeLock::acquire(path_, 0ms, never);
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(ProbeLockTest, SymlinkIsRefused) {
  ASSERT_EQ(::symlink((dir_ + "/elsewhere").c_str(), path_.c_str()), 0);
  auto r = ProbeLock::acquire(path_, 0ms, never);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ELOOP) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/elsewhere"));
}

}  // namespace
}  // namespace podnet::probe
