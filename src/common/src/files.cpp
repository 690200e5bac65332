#include "podnet/common/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace podnet {

Result<std::string> read_all(int fd) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) break;
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

Result<> write_file_atomic(const std::string& path, std::string_view data, bool durable,
                           int mode) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail_errno(fmt::format("create {}", tmp));
  auto cleanup = [&] { ::unlink(tmp.c_str()); };
  if (auto r = write_all(fd.get(), data); !r) {
    cleanup();
    return fail(r.error().context(tmp));
  }
  if (durable && ::fsync(fd.get()) != 0) {
    int e = errno;
    cleanup();
    return fail_errno(fmt::format("fsync {}", tmp), e);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    cleanup();
    return fail_errno(fmt::format("rename {} to {}", tmp, path), e);
  }
  if (durable) return sync_dir(dir_of(path));
  return {};
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
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(fmt::format("open lock {}", path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(fmt::format("flock {}", path));
  }
  return FileLock(std::move(fd));
}

}  // namespace podnet
