#include "podnet/cni/exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "podnet/common/files.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/unique_fd.hpp"

extern char** environ;

namespace podnet::cni {

std::expected<std::string, CniError> find_plugin(const std::string& type,
                                                 const std::string& cni_path) {
  if (type.empty() || type.find('/') != std::string::npos)
    return std::unexpected(
        CniError(Code::invalid_config, fmt::format("invalid plugin type '{}'", type)));
  std::string_view rest = cni_path;
  while (true) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (!dir.empty()) {
      std::string full = dir + "/" + type;
      if (::access(full.c_str(), X_OK) == 0) return full;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::unexpected(
      CniError(Code::invalid_config,
               fmt::format("failed to find plugin '{}' in CNI_PATH '{}'", type, cni_path)));
}

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count() + 1, INT32_MAX));
}

// Writes as much of data[off..] as the non-blocking fd takes now. Returns false when the
// reader is gone (EPIPE) or another error ends the writing: the child's answer explains it.
bool write_some(int fd, const std::string& data, size_t& off) {
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::expected<RunningPlugin, CniError> start_plugin(const std::string& plugin, Command command,
                                                    const std::string& config,
                                                    const ExecLimits& limits) {
  auto io_error = [&](std::string what, int err) {
    return std::unexpected(
        CniError(Code::io_failure,
                 fmt::format("running plugin {}: {}: {}", plugin, what, std::strerror(err))));
  };
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return io_error("pipe", errno);
  UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return io_error("pipe", errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  // Only our end: the child's stdin stays blocking.
  if (::fcntl(in_w.get(), F_SETFL, O_NONBLOCK) != 0) return io_error("fcntl", errno);

  // Environment: ours, with CNI_COMMAND set for this call.
  std::string cmd_var = fmt::format("CNI_COMMAND={}", command_name(command));
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "CNI_COMMAND=", 12) != 0) envp.push_back(*e);
  envp.push_back(cmd_var.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), STDOUT_FILENO);
  // The plugins ignore SIGPIPE; an ignored signal survives exec, so give the child the default.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::string argv0 = plugin;
  char* argv[] = {argv0.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, plugin.c_str(), &fa, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return io_error("spawn", rc);
  in_r.reset();
  out_w.reset();
  RunningPlugin running(plugin, pid, out_r.release(), limits);
  // What fits in the pipe goes now, so the child can start while the caller works; the rest
  // is written by wait() while it reads the output (no deadlock with a child that writes
  // before it has read everything).
  size_t off = 0;
  if (write_some(in_w.get(), config, off) && off < config.size()) {
    running.input_ = config;
    running.input_off_ = off;
    running.in_fd_ = std::move(in_w);
  }
  return running;
}

RunningPlugin::RunningPlugin(std::string plugin, int pid, int out_fd, ExecLimits limits)
    : plugin_(std::move(plugin)),
      pid_(pid),
      out_fd_(out_fd),
      limits_(limits),
      deadline_(Clock::now() + limits.timeout) {}

RunningPlugin::RunningPlugin(RunningPlugin&& o) noexcept
    : plugin_(std::move(o.plugin_)),
      pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::move(o.out_fd_)),
      in_fd_(std::move(o.in_fd_)),
      input_(std::move(o.input_)),
      input_off_(o.input_off_),
      limits_(o.limits_),
      deadline_(o.deadline_) {}

RunningPlugin::~RunningPlugin() {
  if (pid_ > 0) (void)wait();
}

void RunningPlugin::kill_and_reap() {
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

// Feeds the rest of stdin and collects stdout until EOF, within the deadline and the bound.
std::expected<std::string, CniError> RunningPlugin::pump() {
  std::string out;
  char buf[16384];
  while (out_fd_) {
    pollfd fds[2] = {{out_fd_.get(), POLLIN, 0}, {in_fd_.get(), POLLOUT, 0}};
    int left = ms_left(deadline_);
    if (left == 0)
      return std::unexpected(
          CniError(Code::io_failure, fmt::format("plugin {} did not finish within {} ms; killed",
                                                 plugin_, limits_.timeout.count())));
    int rc = ::poll(fds, in_fd_ ? 2 : 1, left);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(
          CniError(Code::io_failure,
                   fmt::format("running plugin {}: poll: {}", plugin_, std::strerror(errno))));
    }
    if (in_fd_ && fds[1].revents) {
      if (!write_some(in_fd_.get(), input_, input_off_) || input_off_ == input_.size() ||
          (fds[1].revents & (POLLERR | POLLHUP))) {
        in_fd_.reset();
        input_.clear();
      }
    }
    if (fds[0].revents) {
      ssize_t n = ::read(out_fd_.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return std::unexpected(
            CniError(Code::io_failure,
                     fmt::format("running plugin {}: read: {}", plugin_, std::strerror(errno))));
      }
      if (n == 0) {
        out_fd_.reset();
        break;
      }
      if (static_cast<size_t>(n) > limits_.max_output - out.size())
        return std::unexpected(
            CniError(Code::io_failure, fmt::format("plugin {} printed more than {} bytes; killed",
                                                   plugin_, limits_.max_output)));
      out.append(buf, static_cast<size_t>(n));
    }
  }
  in_fd_.reset();
  return out;
}

std::expected<nlohmann::json, CniError> RunningPlugin::wait() {
  if (pid_ <= 0) return std::unexpected(CniError(Code::internal, "plugin already waited for"));
  auto out = pump();
  out_fd_.reset();
  in_fd_.reset();
  if (!out) {
    kill_and_reap();
    return std::unexpected(out.error());
  }
  // Stdout closed; the exit may still lag (or never come: a child that closed stdout and
  // hangs). Wait on a pidfd within the same deadline.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  if (pidfd) {
    for (;;) {
      pollfd p{pidfd.get(), POLLIN, 0};
      int rc = ::poll(&p, 1, ms_left(deadline_));
      if (rc > 0) break;
      if (rc < 0 && errno == EINTR) continue;
      kill_and_reap();
      return std::unexpected(
          CniError(Code::io_failure, fmt::format("plugin {} did not exit within {} ms; killed",
                                                 plugin_, limits_.timeout.count())));
    }
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  auto doc = parse_json_bounded(*out, json_default_max_depth, limits_.max_output,
                                fmt::format("plugin {} output", plugin_));
  if (!ok) {
    if (doc && doc->is_object() && doc->contains("code"))
      return std::unexpected(CniError::from_json(*doc));
    std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                        : fmt::format("killed by signal {}", WTERMSIG(status));
    // Quote the start of what it printed: enough to explain, bounded for the log line.
    std::string_view said(*out);
    return std::unexpected(CniError(
        Code::internal, fmt::format("plugin {} failed ({}): {}{}", plugin_, how,
                                    said.substr(0, 1024), said.size() > 1024 ? "..." : "")));
  }
  if (out->find_first_not_of(" \r\n\t") == std::string::npos) return nlohmann::json();
  if (!doc)
    return std::unexpected(CniError(Code::decode_failure,
                                    fmt::format("plugin {} printed a result that is not JSON: {}",
                                                plugin_, doc.error().message)));
  return std::move(*doc);
}

std::expected<nlohmann::json, CniError> exec_plugin(const std::string& plugin, Command command,
                                                    const std::string& config,
                                                    const ExecLimits& limits) {
  auto running = start_plugin(plugin, command, config, limits);
  if (!running) return std::unexpected(running.error());
  return running->wait();
}

}  // namespace podnet::cni
