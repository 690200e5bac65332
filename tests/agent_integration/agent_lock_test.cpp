// `podnetd --leave` takes the state dir's lock over from the running podnetd: it signals the
// pid the pid file names only when that process holds the lock, never an unrelated one.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent_lock.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::agent {
namespace {

// A forked child; killed and reaped on destruction.
struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  bool alive() const {  // still running (not exited, not a zombie)
    int st = 0;
    return pid > 0 && ::waitpid(pid, &st, WNOHANG) == 0;
  }
};

// A child that sleeps without touching the lock.
void spawn_sleeper(Child& c) {
  c.pid = ::fork();
  if (c.pid == 0) {
    for (;;) ::pause();
  }
}

// A child holding an flock on path (as podnetd does); returns once the lock is held.
void spawn_holder(Child& c, const std::string& path) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  c.pid = ::fork();
  if (c.pid == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    char one = 1;
    (void)!::write(p[1], &one, 1);
    for (;;) ::pause();
  }
  ::close(p[1]);
  char got = 0;
  ASSERT_EQ(::read(p[0], &got, 1), 1);  // the child writes once it holds the lock
  ::close(p[0]);
}

class AgentLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/" + podnet::testing::unique_prefix("al") + "state";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_pid(pid_t pid) { std::ofstream(dir_ + "/podnetd.pid") << pid << "\n"; }
  std::string dir_;
};

TEST_F(AgentLockTest, APidFileNamingAnUnrelatedProcessIsNeverSignalled) {
  Child holder, stranger;
  spawn_holder(holder, dir_ + "/podnetd.lock");
  spawn_sleeper(stranger);
  write_pid(stranger.pid);
  auto r = AgentLock::take_over(dir_, 200);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not signalling"), std::string::npos) << r.error().message;
  EXPECT_TRUE(stranger.alive());
  EXPECT_TRUE(holder.alive());
}

TEST_F(AgentLockTest, TheHolderNamedByThePidFileIsStoppedAndTheLockTaken) {
  Child holder;
  spawn_holder(holder, dir_ + "/podnetd.lock");
  write_pid(holder.pid);
  auto r = AgentLock::take_over(dir_, 10000);
  ASSERT_TRUE(r) << r.error().message;
  int st = 0;
  ASSERT_EQ(::waitpid(holder.pid, &st, 0), holder.pid);
  holder.pid = -1;
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

TEST(AgentLockParse, FdinfoFlockLine) {
  EXPECT_TRUE(
      fdinfo_has_flock("pos:\t0\nflags:\t02100002\nmnt_id:\t30\nino:\t12\n"
                       "lock:\t1: FLOCK  ADVISORY  WRITE 4321 00:1a:12 0 EOF\n"));
  EXPECT_FALSE(fdinfo_has_flock("pos:\t0\nflags:\t02100002\n"));
  EXPECT_FALSE(fdinfo_has_flock("lock:\t1: POSIX  ADVISORY  WRITE 4321 00:1a:12 0 EOF\n"));
}

}  // namespace
}  // namespace podnet::agent
