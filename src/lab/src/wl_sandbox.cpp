#include "wl_sandbox.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>

#include <fmt/format.h>

#include "podnet/common/unique_fd.hpp"
#include "podnet/lab/access_log.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::lab::wl {
namespace {

// After fork() in a process with threads only async-signal-safe calls are allowed: the children
// below use plain system calls and memory prepared before the fork, nothing else.

// Default signal handling, nothing blocked, own session (a terminal's ^C does not reach pods),
// fds: `keep` moved to 3, everything above closed.
void child_common(int keep, const char* name) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  setsid();
  prctl(PR_SET_NAME, name);
  if (keep >= 0 && keep != 3) dup2(keep, 3);
  syscall(SYS_close_range, keep >= 0 ? 4u : 3u, ~0u, 0u);
}

[[noreturn]] void pause_child(int netns_fd, int devnull) {
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  child_common(netns_fd, "pause");
  if (setns(3, CLONE_NEWNET) != 0) _exit(1);
  close(3);
  for (;;) pause();
}

// Serves one request per connection: reads the request head (up to 4 KiB, 2 s), answers, and
// writes an access line (time, peer address, request line) to its log.
[[noreturn]] void http_child(int listen_fd, int netns_fd, int log_fd, const char* resp,
                             size_t resp_len) {
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  // The container joins the pod netns too, so it shows there (ip netns pids, /proc/PID/ns/net).
  if (setns(netns_fd, CLONE_NEWNET) != 0) _exit(1);
  child_common(listen_fd, "http-server");
  for (;;) {
    sockaddr_in peer{};
    socklen_t peer_len = sizeof peer;
    int c = accept4(3, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (c < 0) continue;
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    size_t got = 0;
    for (;;) {
      ssize_t n = read(c, buf + got, sizeof buf - got);
      if (n <= 0) break;
      got += size_t(n);
      bool end = false;
      for (size_t i = 3; i < got && !end; ++i)
        end = buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n';
      if (end || got == sizeof buf) break;
    }
    size_t off = 0;
    while (off < resp_len) {
      ssize_t n = write(c, resp + off, resp_len - off);
      if (n <= 0) break;
      off += size_t(n);
    }
    shutdown(c, SHUT_WR);
    close(c);
    size_t line_len = 0;
    while (line_len < got && buf[line_len] != '\r' && buf[line_len] != '\n') ++line_len;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    char line[512];
    size_t n = format_access_line(line, sizeof line, now.tv_sec, ntohl(peer.sin_addr.s_addr),
                                  ntohs(peer.sin_port), std::string_view(buf, line_len), 200);
    (void)!write(1, line, n);
  }
}

Result<ProcId> fork_child(const std::string& what, auto&& child) {
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork " + what);
  if (pid == 0) child();
  auto start = process_start(pid);
  if (!start) return fail(fmt::format("{} (pid {}) exited at once", what, pid));
  return ProcId{pid, *start};
}

}  // namespace

Result<ProcId> start_sandbox(const std::string& netns_name) {
  PODNET_TRY_VOID(create_named_netns(netns_name));
  auto undo = [&] { (void)delete_named_netns(netns_name); };
  auto ns = sys::Netns::open(netns_path(netns_name));
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!ns || !devnull) {
    undo();
    return fail(fmt::format("open netns {} for its pause process", netns_name));
  }
  auto pause =
      fork_child("pause process of " + netns_name, [&] { pause_child(ns->fd(), devnull.get()); });
  if (!pause) undo();
  return pause;
}

bool sandbox_intact(const std::string& netns_name, const ProcId& pause) {
  if (!alive(pause)) return false;
  auto named = sys::Netns::open(netns_path(netns_name));
  auto held = sys::Netns::open(fmt::format("/proc/{}/ns/net", pause.pid));
  return named && held && named->same_as(*held);
}

void remove_sandbox(const std::string& netns_name, const ProcId& pause) {
  if (pause.pid > 0) terminate(pause, std::chrono::milliseconds(0));
  (void)delete_named_netns(netns_name);
}

Result<ProcId> start_http_container(const std::string& netns_path, uint16_t port,
                                    const std::string& body, const std::string& log_path) {
  auto ns = PODNET_TRY(sys::Netns::open(netns_path));
  // The socket is made in the pod netns (and stays bound to it) before the fork: the pod is
  // ready as soon as this returns, and a port in use is reported here, not lost in a child.
  UniqueFd listener = PODNET_TRY(sys::run_in(ns, [&]() -> Result<UniqueFd> {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return fail_errno("socket");
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return fail_errno(fmt::format("bind port {}", port));
    if (::listen(s.get(), 128) != 0) return fail_errno("listen");
    return s;
  }));
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) return fail_errno("open container log " + log_path);
  const std::string resp = fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: "
      "close\r\n\r\n{}",
      body.size(), body);
  return fork_child("container in " + netns_path, [&] {
    http_child(listener.get(), ns.fd(), log.get(), resp.data(), resp.size());
  });
}

}  // namespace podnet::lab::wl
