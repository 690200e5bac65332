#include "podnet/testing/netns_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace podnet::testing {

bool have_root() { return ::geteuid() == 0; }

std::string unique_prefix(std::string_view tag) {
  std::random_device rd;
  return fmt::format("pnt{}{:04x}-", tag, rd() & 0xffff);
}

int sh(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::string buf;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) buf.append(chunk, n);
  int st = ::pclose(p);
  if (out) *out = buf;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

ScopedNetns::ScopedNetns(std::string name) : name_(std::move(name)) {
  testing::sh("ip netns del " + name_ + " >/dev/null 2>&1");
  std::string out;
  if (testing::sh("ip netns add " + name_, &out) != 0) throw std::runtime_error("ip netns add " + name_ + ": " + out);
  live_ = true;
  testing::sh("ip -n " + name_ + " link set lo up");
}

ScopedNetns::~ScopedNetns() { remove(); }

void ScopedNetns::remove() {
  if (!live_) return;
  // Processes left in the namespace (a killed test) would keep it alive: end them first.
  testing::sh("ip netns pids " + name_ + " 2>/dev/null | xargs -r kill -9");
  testing::sh("ip netns del " + name_);
  live_ = false;
}

int ScopedNetns::sh(const std::string& cmd, std::string* out) const {
  return testing::sh(fmt::format("ip netns exec {} sh -c '{}'", name_, cmd), out);
}

nlohmann::json ProcResult::json() const { return nlohmann::json::parse(out, nullptr, false); }

namespace {
// What the child of a vfork-style clone may use: prepared by the parent, since the child shares
// its memory and must not allocate.
struct ChildPlan {
  int netns_fd = -1;
  int in_fd, out_fd, err_fd;
  const char* binary;
  char** argv;
  char** envp;
};

int exec_child(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  if (plan->netns_fd >= 0 && setns(plan->netns_fd, CLONE_NEWNET) != 0) _exit(127);
  dup2(plan->in_fd, 0);
  dup2(plan->out_fd, 1);
  dup2(plan->err_fd, 2);
  execve(plan->binary, plan->argv, plan->envp);
  _exit(127);
}

// Starts `binary` the way container runtimes start CNI plugins: Go's os/exec clones with
// CLONE_VM|CLONE_VFORK (no copy of the parent's page tables), which costs about half of a
// fork() on this VM. The child enters the netns, wires the pipes and execs.
pid_t start(const std::string& netns_path, const std::string& binary,
            const std::map<std::string, std::string>& env, const std::string& input, int* out_fd,
            int* err_fd) {
  int in_p[2], out_p[2], err_p[2];
  if (pipe2(in_p, O_CLOEXEC) || pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC)) return -1;
  std::vector<std::string> envs;
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  if (!env.contains("PATH")) envs.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  ChildPlan plan{-1, in_p[0], out_p[1], err_p[1], binary.c_str(), argv, envp.data()};
  pid_t pid = -1;
  if (netns_path.empty() || (plan.netns_fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC)) >= 0) {
    std::vector<char> stack(64 * 1024);
    pid = clone(exec_child, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  }
  if (plan.netns_fd >= 0) close(plan.netns_fd);
  close(in_p[0]);
  close(out_p[1]);
  close(err_p[1]);
  if (pid < 0) {
    close(in_p[1]);
    close(out_p[0]);
    close(err_p[0]);
    return -1;
  }
  // Configs are small: the write cannot fill the pipe before the child reads.
  if (!input.empty()) (void)!write(in_p[1], input.data(), input.size());
  close(in_p[1]);
  if (out_fd) *out_fd = out_p[0]; else close(out_p[0]);
  if (err_fd) *err_fd = err_p[0]; else close(err_p[0]);
  return pid;
}

// Reads both pipes to their end in this thread (no helper thread per call).
void drain_both(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sink[2] = {&out, &err};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        sink[i]->append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      close(p[i].fd);
      p[i].fd = -1;
      --open_count;
    }
  }
  for (auto& q : p)
    if (q.fd >= 0) close(q.fd);
}

}  // namespace

ProcResult run_in_netns(const std::string& netns_path, const std::string& binary,
                        const std::map<std::string, std::string>& env, const std::string& input) {
  int out_fd = -1, err_fd = -1;
  pid_t pid = start(netns_path, binary, env, input, &out_fd, &err_fd);
  ProcResult r;
  if (pid < 0) return r;
  drain_both(out_fd, err_fd, r.out, r.err);
  int st = 0;
  waitpid(pid, &st, 0);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

int spawn_in_netns(const std::string& netns_path, const std::string& binary,
                   const std::map<std::string, std::string>& env, const std::string& input) {
  return start(netns_path, binary, env, input, nullptr, nullptr);
}

TcpPeerProbe::TcpPeerProbe(const std::string& netns_path, const std::string& ip, int port) {
  std::thread t([&] {
    int nsfd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) return;
    close(nsfd);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 8) != 0) {
      close(fd);
      return;
    }
    fd_ = fd;
  });
  t.join();
}

TcpPeerProbe::~TcpPeerProbe() {
  if (fd_ >= 0) close(fd_);
}

std::string TcpPeerProbe::wait_peer(int timeout_ms) {
  if (fd_ < 0) return "";
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return "";
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int c = accept(fd_, reinterpret_cast<sockaddr*>(&peer), &len);
  if (c < 0) return "";
  close(c);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof buf);
  return buf;
}

std::string build_path(const std::string& rel) {
#ifdef PODNET_BUILD_DIR
  return std::string(PODNET_BUILD_DIR) + "/" + rel;
#else
  return rel;
#endif
}

void link_cni_plugins(const std::string& bin_dir, const std::vector<std::string>& reference) {
  namespace fs = std::filesystem;
  std::vector<std::string> targets = {build_path("apps/podnet/podnet"),
                                      build_path("apps/podnet-ipam/podnet-ipam")};
  for (const auto& r : reference) targets.push_back("/usr/lib/cni/" + r);
  fs::create_directories(bin_dir);
  for (const auto& t : targets) {
    if (!fs::exists(t)) throw std::runtime_error(t + " is missing (not built or not installed)");
    fs::create_symlink(t, bin_dir + "/" + fs::path(t).filename().string());
  }
}

}  // namespace podnet::testing
