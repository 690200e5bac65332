#include "podnet/common/trusted_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <deque>
#include <optional>

#include <fmt/format.h>

namespace podnet {

namespace {

std::deque<std::string> split(std::string_view path) {
  std::deque<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join(const std::deque<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += "/" + p;
  return s.empty() ? "/" : s;
}

Result<> check(int fd, const std::string& shown, bool leaf) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(fmt::format("stat {}", shown));
  if (!S_ISDIR(st.st_mode)) return fail(fmt::format("{}: not a directory", shown));
  if (auto why = untrusted_dir_reason(st.st_uid, st.st_mode, ::geteuid(), leaf))
    return fail(fmt::format("{}: {}; refusing to use it", shown, *why));
  return {};
}

}  // namespace

std::optional<std::string> untrusted_dir_reason(unsigned uid, unsigned mode, unsigned euid,
                                                bool leaf) {
  if (leaf ? uid != euid : (uid != 0 && uid != euid))
    return fmt::format("owned by uid {}, not {}", uid, leaf ? euid : 0);
  const bool others_write = (mode & (S_IWGRP | S_IWOTH)) != 0;
  if (others_write && (leaf || !(mode & S_ISVTX)))
    return fmt::format("writable by group or others (mode {:04o})", mode & 07777);
  return std::nullopt;
}

Result<UniqueFd> open_trusted_dir(const std::string& path_in, bool create, int mode) {
  if (path_in.empty()) return fail("empty directory path");
  std::string path = path_in;
  if (path[0] != '/') {
    // Relative to the working directory, which is checked on the way like the rest.
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return fail_errno("getcwd");
    path = std::string(cwd) + "/" + path;
  }
  UniqueFd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) return fail_errno("open /");
  std::deque<std::string> done;  // the components walked so far (for messages)
  std::deque<std::string> todo = split(path);
  int links = 0;
  PODNET_TRY_VOID(check(cur.get(), "/", todo.empty()));
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      // Walk again from / without the last component, so every check stays on the path used.
      if (!done.empty()) done.pop_back();
      for (auto it = done.rbegin(); it != done.rend(); ++it) todo.push_front(*it);
      done.clear();
      cur.reset(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!cur) return fail_errno("open /");
      continue;
    }
    done.push_back(name);
    const std::string shown = join(done);
    const bool leaf = todo.empty();
    UniqueFd next(
        ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
        return fail_errno(fmt::format("mkdir {}", shown));
      next.reset(
          ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!next && (errno == ELOOP || errno == ENOTDIR)) {
      // A symlink (e.g. /var/run): followed only when root or we own it; its target is walked
      // and checked like the rest.
      struct stat lst {};
      if (::fstatat(cur.get(), name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno(fmt::format("stat {}", shown));
      if (!S_ISLNK(lst.st_mode)) return fail(fmt::format("{}: not a directory", shown));
      if (lst.st_uid != 0 && lst.st_uid != ::geteuid())
        return fail(
            fmt::format("{}: symlink owned by uid {}; refusing to follow it", shown, lst.st_uid));
      if (++links > 40) return fail(fmt::format("{}: too many symlinks", path));
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(cur.get(), name.c_str(), buf, sizeof buf - 1);
      if (n < 0) return fail_errno(fmt::format("readlink {}", shown));
      std::string target(buf, static_cast<size_t>(n));
      done.pop_back();
      auto parts = split(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_front(*it);
      if (target.starts_with("/")) {
        done.clear();
        cur.reset(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!cur) return fail_errno("open /");
      }
      if (todo.empty()) PODNET_TRY_VOID(check(cur.get(), join(done), true));
      continue;
    }
    if (!next) return fail_errno(fmt::format("open directory {}", shown));
    PODNET_TRY_VOID(check(next.get(), shown, leaf));
    cur = std::move(next);
  }
  return cur;
}

Result<UniqueFd> open_owned_file(const std::string& path, int flags) {
  auto slash = path.rfind('/');
  if (path.empty() || slash == path.size() - 1)
    return fail(fmt::format("{}: not a file path", path));
  std::string dir_path = slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : path.substr(0, slash);
  auto dir = PODNET_TRY(open_trusted_dir(dir_path, false));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd fd(::openat(dir.get(), name.c_str(),
                       flags | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(fmt::format("open {}", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("{}: not a regular file", path));
  if (st.st_uid != ::geteuid() || st.st_nlink != 1)
    return fail(fmt::format("{}: owned by uid {} with {} links; refusing to write it", path,
                            st.st_uid, st.st_nlink));
  return fd;
}

Result<UniqueFd> open_append_file(const std::string& path) {
  if (path.empty() || path[0] != '/') return fail(fmt::format("{}: not an absolute path", path));
  return open_owned_file(path, O_WRONLY | O_APPEND);
}

}  // namespace podnet
