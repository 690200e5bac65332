#include "disk_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "podnet/common/files.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::ipam::io {

Result<std::vector<DirEntry>> list_dir(int dirfd) {
  int fd = ::dup(dirfd);
  if (fd < 0) return fail_errno("dup directory fd");
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int e = errno;
    ::close(fd);
    return fail_errno("fdopendir", e);
  }
  ::rewinddir(d);  // the dup shares the offset with dirfd
  std::vector<DirEntry> out;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    DirEntry de{std::string(n), e->d_type == DT_REG, e->d_type == DT_DIR};
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        de.regular = S_ISREG(st.st_mode);
        de.directory = S_ISDIR(st.st_mode);
      }
    }
    out.push_back(std::move(de));
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err) return fail_errno("readdir", err);
  return out;
}

Result<std::optional<std::string>> read_at(int dirfd, const std::string& name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail_errno(fmt::format("open {}", name));
  }
  auto r = read_all(fd.get());
  if (!r) return fail(r.error().context(name));
  return std::optional<std::string>(std::move(*r));
}

Result<> write_at(int dirfd, const std::string& name, std::string_view data, mode_t mode) {
  // No O_TRUNC: ext4 (auto_da_alloc) flushes a file truncated to zero when it is closed,
  // which cost milliseconds per ADD for last_reserved_ip. Overwrite, then cut the tail.
  UniqueFd fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return fail_errno(fmt::format("create {}", name));
  off_t off = 0;
  while (off < static_cast<off_t>(data.size())) {
    ssize_t n = ::pwrite(fd.get(), data.data() + off, data.size() - static_cast<size_t>(off), off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(fmt::format("write {}", name));
    }
    off += n;
  }
  if (::ftruncate(fd.get(), off) != 0) return fail_errno(fmt::format("truncate {}", name));
  return {};
}

Result<bool> unlink_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  return fail_errno(fmt::format("remove {}", name));
}

Result<bool> mkdir_at(int dirfd, const std::string& name, mode_t mode) {
  if (::mkdirat(dirfd, name.c_str(), mode) == 0) return true;
  if (errno == EEXIST) return false;
  return fail_errno(fmt::format("mkdir {}", name));
}

}  // namespace podnet::ipam::io
