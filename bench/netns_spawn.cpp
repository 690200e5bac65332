#include "netns_spawn.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "podnet/sys/netns.hpp"

extern char** environ;

namespace podnet::bench {
namespace {

double tv_ms(const timeval& t) {
  return t.tv_sec * 1e3 + t.tv_usec / 1e3;
}

}  // namespace

ToolRun run_tool(const std::string& netns_path, const std::vector<std::string>& argv,
                 const std::string& stdin_file) {
  auto ns = sys::Netns::open(netns_path);
  if (!ns)
    throw std::runtime_error(fmt::format("open netns {}: {}", netns_path, ns.error().message));
  auto r = sys::run_in(*ns, [&]() -> ToolRun {
    ToolRun out;
    int err_fd = memfd_create("tool-stderr", MFD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_file.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    double t0 = now_ms();
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      if (err_fd >= 0) close(err_fd);
      out.err = fmt::format("spawn {}: {}", argv[0], strerror(rc));
      return out;
    }
    int st = 0;
    rusage ru{};
    bool killed = false;
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
      // Ctrl-C / SIGTERM: stop the tool now so the namespaces are removed promptly.
      if (interrupted() && !killed) killed = kill(pid, SIGKILL) == 0;
    }
    out.wall_ms = now_ms() - t0;
    out.user_ms = tv_ms(ru.ru_utime);
    out.sys_ms = tv_ms(ru.ru_stime);
    out.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (err_fd >= 0) {
      char buf[4096];
      lseek(err_fd, 0, SEEK_SET);
      ssize_t n;
      while ((n = read(err_fd, buf, sizeof buf)) > 0 && out.err.size() < 16384)
        out.err.append(buf, static_cast<size_t>(n));
      close(err_fd);
    }
    return out;
  });
  if (!r)
    throw std::runtime_error(
        fmt::format("run {} in {}: {}", argv[0], netns_path, r.error().message));
  return *r;
}

ToolRun run_tool_ok(const std::string& netns_path, const std::vector<std::string>& argv,
                    const std::string& stdin_file) {
  ToolRun r = run_tool(netns_path, argv, stdin_file);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw std::runtime_error(fmt::format("{} < {} in {}: exit {}: {}", cmd, stdin_file, netns_path,
                                         r.exit_code, r.err.substr(0, 2000)));
  }
  return r;
}

void write_file(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error(fmt::format("write {}: {}", path, strerror(errno)));
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error(fmt::format("write {}: short write", path));
}

}  // namespace podnet::bench
