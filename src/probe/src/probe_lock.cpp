#include "podnet/probe/probe_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

namespace podnet::probe {
namespace {

// The holder writes its pid into the file (for the message only: the lock is the flock).
std::string holder_of(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  const int pid = n > 0 ? std::atoi(buf) : 0;
  return pid > 0 ? fmt::format(" (pid {})", pid) : "";
}

}  // namespace

Result<ProbeLock> ProbeLock::acquire(const std::string& path, std::chrono::milliseconds wait,
                                     const std::function<Result<>()>& interrupted) {
  // O_NOFOLLOW: a symlink planted at the path is refused, never followed (root writes here).
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return fail_errno("open " + path);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return fail_errno("flock " + path);
    PODNET_TRY_VOID(interrupted());
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(fmt::format("another trace probe holds {}{}; try again once it ends", path,
                              holder_of(fd.get())));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0)
    return fail_errno("write " + path);
  return ProbeLock(std::move(fd));
}

}  // namespace podnet::probe
