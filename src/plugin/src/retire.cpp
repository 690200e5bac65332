#include "podnet/plugin/retire.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include <fmt/format.h>

#include "podnet/common/log.hpp"

namespace podnet::plugin {

namespace {

std::string retired_name() {
  std::random_device rd;
  uint64_t r = (uint64_t{rd()} << 32) | rd();
  return fmt::format("{}{:012x}", kRetiredPrefix, r & 0xffffffffffffull);
}

Result<> take_down_and_rename(sys::Netlink& nl, int index, const std::string& to) {
  PODNET_TRY_VOID(nl.set_up(index, false));
  return nl.rename(index, to);
}

// Deletes `name` from a detached grandchild: the runtime neither waits for it nor sees its
// output (stdout/stderr go to /dev/null, so the runtime's pipe reaches EOF at our exit).
void delete_in_background(const std::string& name) {
  pid_t pid = ::fork();
  if (pid < 0) return;  // the caller falls back to waiting
  if (pid == 0) {
    if (::fork() != 0) ::_exit(0);
    ::setsid();
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    if (auto nl = sys::Netlink::open()) (void)nl->delete_link(name);
    ::_exit(0);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<bool> retire_pair(sys::Netlink& host, const std::string& host_veth, const sys::Netns* podns,
                         const std::string& ifname) {
  auto info = host.link_info(host_veth);
  if (!info) {
    if (info.error().sys_errno == ENODEV) return false;
    return fail(info.error());
  }
  // The pod end first: a re-ADD into the same netns must find its ifname free.
  if (podns) {
    auto pod = sys::Netlink::open_in(*podns);
    if (pod) {
      auto pl = pod->link_info(ifname);
      if (pl && pl->kind == "veth" && pl->link == info->index) {
        if (auto r = take_down_and_rename(*pod, pl->index, retired_name()); !r)
          log::warn("retire {} in {}: {}", ifname, podns->path(), r.error().message);
      }
    }
  }
  std::string retired = retired_name();
  if (auto r = take_down_and_rename(host, info->index, retired); !r) {
    log::warn("retire {}: {}; deleting now", host_veth, r.error().message);
    auto d = host.delete_link(info->index);
    if (!d) return fail(d.error());
    return true;
  }
  delete_in_background(retired);
  return true;
}

Result<int> remove_retired_links(sys::Netlink& host) {
  auto links = PODNET_TRY(host.list_links());
  int n = 0;
  for (const auto& l : links) {
    if (!l.name.starts_with(kRetiredPrefix)) continue;
    auto d = host.delete_link(l.index);
    if (!d) return fail(d.error());
    n += *d ? 1 : 0;
  }
  return n;
}

}  // namespace podnet::plugin
