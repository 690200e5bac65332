#include "podnet/cni/exec.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "podnet/common/files.hpp"
#include "podnet/common/unique_fd.hpp"

extern char** environ;

namespace podnet::cni {

std::expected<std::string, CniError> find_plugin(const std::string& type,
                                                 const std::string& cni_path) {
  if (type.empty() || type.find('/') != std::string::npos)
    return std::unexpected(CniError(Code::invalid_config,
                                    fmt::format("invalid plugin type '{}'", type)));
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
  return std::unexpected(CniError(
      Code::invalid_config,
      fmt::format("failed to find plugin '{}' in CNI_PATH '{}'", type, cni_path)));
}

std::expected<RunningPlugin, CniError> start_plugin(const std::string& plugin, Command command,
                                                    const std::string& config) {
  auto io_error = [&](std::string what, int err) {
    return std::unexpected(CniError(
        Code::io_failure, fmt::format("running plugin {}: {}: {}", plugin, what, std::strerror(err))));
  };
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return io_error("pipe", errno);
  UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return io_error("pipe", errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);

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
  std::string argv0 = plugin;
  char* argv[] = {argv0.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, plugin.c_str(), &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return io_error("spawn", rc);
  in_r.reset();
  out_w.reset();
  // Configs are far below the pipe's capacity, and the child reads stdin before writing:
  // writing everything now cannot deadlock. A child that exits early gives EPIPE, which its
  // own result explains.
  auto wrote = write_all(in_w.get(), config);
  in_w.reset();
  RunningPlugin running(plugin, pid, out_r.release());
  if (!wrote && wrote.error().sys_errno != EPIPE)
    return std::unexpected(CniError(Code::io_failure, fmt::format("running plugin {}: {}", plugin,
                                                                  wrote.error().message)));
  return running;
}

RunningPlugin::RunningPlugin(RunningPlugin&& o) noexcept
    : plugin_(std::move(o.plugin_)), pid_(std::exchange(o.pid_, -1)), out_fd_(std::exchange(o.out_fd_, -1)) {}

RunningPlugin::~RunningPlugin() {
  if (pid_ > 0) (void)wait();
}

std::expected<nlohmann::json, CniError> RunningPlugin::wait() {
  UniqueFd out_fd(std::exchange(out_fd_, -1));
  auto out = read_all(out_fd.get());
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!out)
    return std::unexpected(CniError(Code::io_failure, fmt::format("running plugin {}: {}", plugin_,
                                                                  out.error().message)));
  auto doc = nlohmann::json::parse(*out, nullptr, false);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    if (!doc.is_discarded() && doc.is_object() && doc.contains("code"))
      return std::unexpected(CniError::from_json(doc));
    std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                        : fmt::format("killed by signal {}", WTERMSIG(status));
    return std::unexpected(CniError(Code::internal, fmt::format("plugin {} failed ({}): {}", plugin_,
                                                                how, *out)));
  }
  if (out->find_first_not_of(" \r\n\t") == std::string::npos) return nlohmann::json();
  if (doc.is_discarded())
    return std::unexpected(CniError(Code::decode_failure,
                                    fmt::format("plugin {} printed a result that is not JSON: {}",
                                                plugin_, *out)));
  return doc;
}

std::expected<nlohmann::json, CniError> exec_plugin(const std::string& plugin, Command command,
                                                    const std::string& config) {
  auto running = start_plugin(plugin, command, config);
  if (!running) return std::unexpected(running.error());
  return running->wait();
}

}  // namespace podnet::cni
