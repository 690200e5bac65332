#include "podnet/common/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace podnet {

Result<std::string> read_all(int fd, size_t max_bytes) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > max_bytes - out.size())
      return fail(fmt::format("more than {} bytes", max_bytes));
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(fmt::format("open {}", path));
  auto r = read_all(fd.get());
  if (!r) return fail(r.error().context(path));
  return r;
}

Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: a FIFO named here must not hang the caller (the open would block).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return fail_errno(fmt::format("open {}", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("{}: not a regular file", path));
  auto r = read_all(fd.get(), max_bytes);
  if (!r) return fail(r.error().context(path));
  return r;
}

Result<> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

static std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<> sync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(fmt::format("open directory {}", path));
  if (::fsync(fd.get()) != 0) return fail_errno(fmt::format("fsync directory {}", path));
  return {};
}

static std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<> write_file_atomic_at(int dirfd, const std::string& name, std::string_view data,
                              bool durable, int mode, const std::string& shown) {
  // An unpredictable temp name created with O_EXCL|O_NOFOLLOW: nothing planted in the
  // directory (a symlink, a file of someone else's) is ever opened, and rename() replaces
  // the entry itself, never what a symlink at `name` points to.
  uint64_t rnd = 0;
  if (::getrandom(&rnd, sizeof rnd, 0) != sizeof rnd) return fail_errno("getrandom");
  std::string tmp = fmt::format("{}.tmp.{:016x}", name, rnd);
  UniqueFd fd(::openat(dirfd, tmp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return fail_errno(fmt::format("create {}.tmp.*", shown));
  auto cleanup = [&] { ::unlinkat(dirfd, tmp.c_str(), 0); };
  if (auto r = write_all(fd.get(), data); !r) {
    cleanup();
    return fail(r.error().context(shown));
  }
  if (durable && ::fsync(fd.get()) != 0) {
    int e = errno;
    cleanup();
    return fail_errno(fmt::format("fsync {}", shown), e);
  }
  fd.reset();
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    int e = errno;
    cleanup();
    return fail_errno(fmt::format("rename {} to {}", tmp, shown), e);
  }
  if (durable && ::fsync(dirfd) != 0) return fail_errno(fmt::format("fsync directory of {}", shown));
  return {};
}

Result<> write_file_atomic(const std::string& path, std::string_view data, bool durable,
                           int mode) {
  std::string dir = dir_of(path);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) return fail_errno(fmt::format("open directory {}", dir));
  return write_file_atomic_at(dfd.get(), base_of(path), data, durable, mode, path);
}

Result<> make_dirs(const std::string& path, int mode) {
  if (path.empty()) return {};
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
      return fail_errno(fmt::format("mkdir {}", cur));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  if (!S_ISDIR(st.st_mode)) return fail(fmt::format("{} exists and is not a directory", path));
  return {};
}

Result<FileLock> FileLock::acquire(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(fmt::format("open lock {}", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("lock {}: not a regular file", path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(fmt::format("flock {}", path));
  }
  return FileLock(std::move(fd));
}

}  // namespace podnet
