#include "wl_sandbox.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
// fds: 3..`last_kept` stay open (-1: none), everything above is closed.
void child_common(int last_kept, const char* name) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) signal(sig, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  setsid();
  prctl(PR_SET_NAME, name);
  syscall(SYS_close_range, last_kept >= 3 ? unsigned(last_kept) + 1 : 3u, ~0u, 0u);
}

[[noreturn]] void pause_child(int netns_fd, int devnull) {
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (netns_fd != 3) dup2(netns_fd, 3);
  child_common(3, "pause");
  if (setns(3, CLONE_NEWNET) != 0) _exit(1);
  close(3);
  for (;;) pause();
}

// Serves one request per TCP connection: reads the request head (up to 4 KiB, 2 s), answers,
// and writes an access line (time, peer address, request line) to its log. Answers every UDP
// datagram on the same port with one datagram carrying the same body, so UDP Services can be
// tried with `nc -u`; those get an access line too ("UDP <bytes> bytes").
void serve_tcp(int listener, const char* resp, size_t resp_len) {
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  int c = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
  if (c < 0) return;
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

void serve_udp(int sock, const char* body, size_t body_len) {
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  char buf[2048];
  ssize_t got = recvfrom(sock, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer),
                         &peer_len);
  if (got < 0) return;
  (void)!sendto(sock, body, body_len, 0, reinterpret_cast<sockaddr*>(&peer), peer_len);
  // "UDP 12 bytes": the request line of a datagram, built without allocation.
  char req[32] = "UDP ";
  size_t r = 4;
  char digits[20];
  size_t nd = 0;
  auto v = size_t(got);
  do {
    digits[nd++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (nd) req[r++] = digits[--nd];
  for (char ch : std::string_view(" bytes")) req[r++] = ch;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  char line[512];
  size_t n = format_access_line(line, sizeof line, now.tv_sec, ntohl(peer.sin_addr.s_addr),
                                ntohs(peer.sin_port), std::string_view(req, r), 200);
  (void)!write(1, line, n);
}

// The TCP listener and the UDP socket were made in the pod netns before the fork; the child
// serves them as fds 3 and 4. Callers pass fds above 4 so the dup2s below clobber none.
[[noreturn]] void server_child(int tcp_fd, int udp_fd, int netns_fd, int log_fd, const char* resp,
                               size_t resp_len, const char* body, size_t body_len) {
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  // The container joins the pod netns too, so it shows there (ip netns pids, /proc/PID/ns/net).
  if (setns(netns_fd, CLONE_NEWNET) != 0) _exit(1);
  if (dup2(tcp_fd, 3) < 0 || dup2(udp_fd, 4) < 0) _exit(1);
  child_common(4, "http-server");
  for (;;) {
    pollfd p[2] = {{3, POLLIN, 0}, {4, POLLIN, 0}};
    if (poll(p, 2, -1) <= 0) continue;
    if (p[0].revents & POLLIN) serve_tcp(3, resp, resp_len);
    if (p[1].revents & POLLIN) serve_udp(4, body, body_len);
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
  auto bound = [&](int type) -> Result<UniqueFd> {
    UniqueFd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!s) return fail_errno("socket");
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return fail_errno(fmt::format("bind {} port {}", type == SOCK_STREAM ? "TCP" : "UDP", port));
    if (type == SOCK_STREAM && ::listen(s.get(), 128) != 0) return fail_errno("listen");
    return s;
  };
  UniqueFd listener = PODNET_TRY(sys::run_in(ns, [&] { return bound(SOCK_STREAM); }));
  UniqueFd udp = PODNET_TRY(sys::run_in(ns, [&] { return bound(SOCK_DGRAM); }));
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) return fail_errno("open container log " + log_path);
  const std::string resp = fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: "
      "close\r\n\r\n{}",
      body.size(), body);
  return fork_child("container in " + netns_path, [&] {
    // Above fd 4 first (fcntl is async-signal-safe); close_range drops them in the child.
    auto high = [](int fd) {
      int h = ::fcntl(fd, F_DUPFD, 10);
      if (h < 0) _exit(1);
      return h;
    };
    server_child(high(listener.get()), high(udp.get()), high(ns.fd()), high(log.get()),
                 resp.data(), resp.size(), body.data(), body.size());
  });
}

}  // namespace podnet::lab::wl
