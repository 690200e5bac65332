#include "agent_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "podnet/common/files.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

namespace {
Result<UniqueFd> open_lock(const std::string& dir) {
  PODNET_TRY_VOID(make_dirs(dir, 0755));
  std::string path = dir + "/podnetd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return fail_errno(fmt::format("open {}", path));
  return fd;
}
int holder_pid(const std::string& dir) {
  auto t = read_file(dir + "/podnetd.pid");
  int pid = 0;
  if (t) std::from_chars(t->data(), t->data() + t->size(), pid);
  return pid;
}
}  // namespace

Result<AgentLock> AgentLock::acquire(const std::string& dir) {
  UniqueFd fd = PODNET_TRY(open_lock(dir));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return fail(
          fmt::format("another podnetd (pid {}) runs with state dir {}", holder_pid(dir), dir));
    return fail_errno(fmt::format("flock {}/podnetd.lock", dir));
  }
  PODNET_TRY_VOID(write_file_atomic(dir + "/podnetd.pid", fmt::format("{}\n", ::getpid()), false));
  return AgentLock(std::move(fd));
}

Result<AgentLock> AgentLock::take_over(const std::string& dir, int wait_ms) {
  UniqueFd fd = PODNET_TRY(open_lock(dir));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return AgentLock(std::move(fd));
  int pid = holder_pid(dir);
  if (pid > 1) {
    log::info("stopping the running podnetd (pid {})", pid);
    ::kill(pid, SIGTERM);
  }
  for (int waited = 0; waited < wait_ms; waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return AgentLock(std::move(fd));
  }
  return fail(fmt::format("the podnetd holding {}/podnetd.lock (pid {}) did not stop", dir, pid));
}

}  // namespace podnet::agent
