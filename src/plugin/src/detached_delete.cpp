#include "detached_delete.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <new>

namespace podnet::plugin {

namespace {

// What the child needs, in memory the parent never touches again (never unmapped: the child
// may still run after the parent is gone).
struct DeleteJob {
  struct {
    nlmsghdr hdr;
    ifinfomsg ifi;
  } req;
};

constexpr size_t kRegion = 64 * 1024;  // the job, then the child's stack above it

#if defined(__x86_64__)
// The child shares our memory (CLONE_VM) while this process goes on and exits, so it must not
// touch libc state (locks, errno in our thread's TLS): system calls are made directly.
long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long ret;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

int deleter(void* arg) {
  auto* job = static_cast<DeleteJob*>(arg);
  // Our copy of the fd table holds the runtime's stdout/stderr pipes: drop everything.
  raw_syscall(SYS_close_range, 0, ~0L, 0);
  raw_syscall(SYS_setsid);
  long fd = raw_syscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd >= 0) {
    // To the kernel (no address); it handles the request inside sendto, which returns once
    // the link is gone.
    raw_syscall(SYS_sendto, fd, reinterpret_cast<long>(&job->req), sizeof job->req, 0, 0, 0);
  }
  return 0;  // clone's trampoline makes the exit system call
}
#endif

}  // namespace

bool delete_link_detached(int ifindex) {
#if defined(__x86_64__)
  void* region = ::mmap(nullptr, kRegion, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (region == MAP_FAILED) return false;
  auto* job = new (region) DeleteJob{};
  job->req.hdr.nlmsg_len = sizeof job->req;
  job->req.hdr.nlmsg_type = RTM_DELLINK;
  job->req.hdr.nlmsg_flags = NLM_F_REQUEST;  // no ack: nobody reads it
  job->req.ifi.ifi_family = AF_UNSPEC;
  job->req.ifi.ifi_index = ifindex;
  // No page-table copy (what a fork of this process costs), no exec. The child is reparented
  // to init when we exit.
  int pid = ::clone(deleter, static_cast<char*>(region) + kRegion, CLONE_VM | SIGCHLD, job);
  if (pid < 0) {
    ::munmap(region, kRegion);
    return false;
  }
  return true;
#else
  (void)ifindex;
  return false;
#endif
}

}  // namespace podnet::plugin
