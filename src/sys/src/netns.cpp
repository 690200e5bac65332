#include "podnet/sys/netns.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace podnet::sys {

Result<Netns> Netns::open(const std::string& path) {
  // O_NONBLOCK: a path naming a FIFO (CNI_NETNS is the runtime's word) must fail the checks
  // below, not block the open forever.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return fail_errno("open netns " + path);
  struct statfs sfs {};
  if (::fstatfs(fd.get(), &sfs) < 0) return fail_errno("statfs netns " + path);
  // Namespace files live on nsfs (older kernels: proc). Anything else, typically the empty file
  // of a /var/run/netns entry whose mount is gone, is not a namespace.
  if (sfs.f_type != NSFS_MAGIC && sfs.f_type != PROC_SUPER_MAGIC)
    return fail(Error::from_errno(EINVAL, "open netns " + path + ": not a namespace file"));
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type >= 0 ? type != CLONE_NEWNET : sfs.f_type != NSFS_MAGIC)
    return fail(Error::from_errno(EINVAL, "open netns " + path + ": not a network namespace"));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return fail_errno("stat netns " + path);
  return Netns(std::move(fd), path, st.st_dev, st.st_ino);
}

Result<Netns> Netns::current() {
  // thread-self, not self: /proc/self/ns/net is the main thread's namespace.
  return open("/proc/thread-self/ns/net");
}

namespace detail {
Result<> enter_netns(const Netns& ns) {
  if (::setns(ns.fd(), CLONE_NEWNET) < 0) return fail_errno("setns into " + ns.path());
  return {};
}

Result<UniqueFd> open_thread_netns() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open own netns /proc/thread-self/ns/net");
  return fd;
}

ReturnToNetns::~ReturnToNetns() {
  if (::setns(home_.get(), CLONE_NEWNET) == 0) return;
  int err = errno;
  std::fprintf(stderr, "podnet: fatal: cannot return the thread to its network namespace: %s\n",
               std::strerror(err));
  std::abort();
}
}  // namespace detail

}  // namespace podnet::sys
