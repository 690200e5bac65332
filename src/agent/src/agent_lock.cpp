#include "agent_lock.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

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
  // Never through a planted link or FIFO (main checks the directory is root's own).
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(fmt::format("open {}", path));
  return fd;
}
// The pid file is only a hint (anyone who could write it, or a stale one after a crash, may name
// any process): a pid is signalled only when that process has the lock file open with an flock
// on it, seen in /proc/<pid>/fd (same inode) and /proc/<pid>/fdinfo ("lock: ... FLOCK").
bool holds_flock(int pid, const struct stat& lock_st) {
  const std::string fd_dir = fmt::format("/proc/{}/fd", pid);
  DIR* d = ::opendir(fd_dir.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st{};
    if (::stat((fd_dir + "/" + e->d_name).c_str(), &st) != 0) continue;
    if (st.st_dev != lock_st.st_dev || st.st_ino != lock_st.st_ino) continue;
    auto info = read_file(fmt::format("/proc/{}/fdinfo/{}", pid, e->d_name));
    if (info && fdinfo_has_flock(*info)) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

int holder_pid(const std::string& dir) {
  auto t = read_file(dir + "/podnetd.pid");
  int pid = 0;
  if (t) std::from_chars(t->data(), t->data() + t->size(), pid);
  return pid;
}
}  // namespace

bool fdinfo_has_flock(std::string_view fdinfo) {
  // "lock:\t1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (Linux 3.8+)
  for (size_t pos = 0; pos < fdinfo.size();) {
    size_t nl = fdinfo.find('\n', pos);
    std::string_view line = fdinfo.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? fdinfo.size() : nl + 1;
    if (line.starts_with("lock:") && line.find(" FLOCK ") != std::string_view::npos &&
        line.find(" WRITE ") != std::string_view::npos)
      return true;
  }
  return false;
}

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
  struct stat lock_st{};
  if (::fstat(fd.get(), &lock_st) != 0) return fail_errno(fmt::format("stat {}/podnetd.lock", dir));
  if (pid <= 1 || pid == ::getpid() || !holds_flock(pid, lock_st))
    return fail(fmt::format("{}/podnetd.lock is held, but not by the pid that {}/podnetd.pid "
                            "names ({}): not signalling it; stop the running podnetd first",
                            dir, dir, pid));
  log::info("stopping the running podnetd (pid {})", pid);
  ::kill(pid, SIGTERM);
  for (int waited = 0; waited < wait_ms; waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return AgentLock(std::move(fd));
  }
  return fail(fmt::format("the podnetd holding {}/podnetd.lock (pid {}) did not stop", dir, pid));
}

}  // namespace podnet::agent
