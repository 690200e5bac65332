#include "podnet/lab/named_netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "podnet/common/files.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::lab {
namespace {

constexpr const char* run_dir = "/var/run/netns";

// iproute2 makes /var/run/netns a shared mount point, so namespaces mounted there show in other
// mount namespaces too (and unmounts propagate). Do the same, once.
Result<> ensure_run_dir() {
  PODNET_TRY_VOID(make_dirs(run_dir, 0755));
  if (::mount("", run_dir, "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
  if (errno != EINVAL) return fail_errno(fmt::format("make {} a shared mount", run_dir));
  // Not a mount point yet: bind it onto itself first.
  if (::mount(run_dir, run_dir, "none", MS_BIND | MS_REC, nullptr) != 0)
    return fail_errno(fmt::format("bind-mount {} onto itself", run_dir));
  if (::mount("", run_dir, "none", MS_SHARED | MS_REC, nullptr) != 0)
    return fail_errno(fmt::format("make {} a shared mount", run_dir));
  return {};
}

}  // namespace

bool named_netns_exists(std::string_view name) {
  struct stat st {};
  return ::stat(netns_path(name).c_str(), &st) == 0;
}

Result<> create_named_netns(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..")
    return fail(fmt::format("netns name \"{}\" is not a file name", name));
  PODNET_TRY_VOID(ensure_run_dir());
  const std::string path = netns_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return fail_errno("create netns " + path);
  ::close(fd);

  // The thread that unshare()s is thrown away with its namespace: no thread of ours stays in it.
  Result<> made;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made = fail_errno("unshare a network namespace for " + path);
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
      made = fail_errno("bind-mount the new network namespace onto " + path);
  });
  t.join();
  if (!made) {
    ::unlink(path.c_str());
    return made;
  }
  // lo up: a namespace without it cannot even reach its own addresses.
  auto up = [&]() -> Result<> {
    auto ns = PODNET_TRY(sys::Netns::open(path));
    auto nl = PODNET_TRY(sys::Netlink::open_in(ns));
    auto lo = PODNET_TRY(nl.link_index("lo"));
    return nl.set_up(lo);
  }();
  if (!up) {
    (void)delete_named_netns(name);
    return fail(up.error().context("set lo up in " + path));
  }
  return {};
}

Result<bool> delete_named_netns(std::string_view name) {
  const std::string path = netns_path(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("stat " + path);
  }
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmount " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + path);
  return true;
}

std::vector<std::string> list_named_netns() {
  std::vector<std::string> out;
  DIR* d = ::opendir(run_dir);
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  ::closedir(d);
  return out;
}

}  // namespace podnet::lab
