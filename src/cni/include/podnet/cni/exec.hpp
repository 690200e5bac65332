#pragma once
// Delegation to another plugin (IPAM, chained plugins), as libcni's invoke package does:
// find the binary in CNI_PATH, run it with this invocation's environment and a config on
// stdin, decode its result or error. A delegated plugin is not trusted to behave: it gets a
// deadline (then SIGKILL), its output is read up to a bound, and one that exits without
// reading its stdin yields an error result, never a SIGPIPE.
#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/cni/env.hpp"
#include "podnet/cni/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::cni {

// Absolute path of plugin `type` in the colon-separated `cni_path`; code 7 if absent.
std::expected<std::string, CniError> find_plugin(const std::string& type,
                                                 const std::string& cni_path);

struct ExecLimits {
  std::chrono::milliseconds timeout{60000};  // from the spawn to the child's exit
  size_t max_output = size_t{1} << 20;       // bytes of stdout
};

// A delegated plugin started but not yet waited for: lets the caller overlap its own work
// (creating the veth pair) with the IPAM plugin's run on another core. The part of stdin that
// did not fit in the pipe at start is written by wait(), while it reads the output.
class RunningPlugin {
 public:
  // A child the caller spawned, whose stdin the caller writes and closes itself.
  RunningPlugin(std::string plugin, int pid, int out_fd, ExecLimits limits = {});
  RunningPlugin(RunningPlugin&& o) noexcept;
  RunningPlugin& operator=(RunningPlugin&&) = delete;
  ~RunningPlugin();  // waits for the child if wait() was never called
  // Reads the child's stdout, reaps it, decodes its result (null when empty) or error.
  // Past the deadline or the output bound the child is killed: code 5.
  std::expected<nlohmann::json, CniError> wait();

 private:
  friend std::expected<RunningPlugin, CniError> start_plugin(const std::string&, Command,
                                                             const std::string&, const ExecLimits&);
  std::expected<std::string, CniError> pump();
  void kill_and_reap();

  std::string plugin_;
  int pid_ = -1;
  UniqueFd out_fd_;
  UniqueFd in_fd_;     // non-blocking; open while input_ has bytes left
  std::string input_;  // stdin bytes not yet written
  size_t input_off_ = 0;
  ExecLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
};

// Spawns `plugin` for `command` with `config` on stdin. The child's environment is ours with
// CNI_COMMAND replaced, and SIGPIPE back at its default action.
std::expected<RunningPlugin, CniError> start_plugin(const std::string& plugin, Command command,
                                                    const std::string& config,
                                                    const ExecLimits& limits = {});

// start_plugin, then wait().
std::expected<nlohmann::json, CniError> exec_plugin(const std::string& plugin, Command command,
                                                    const std::string& config,
                                                    const ExecLimits& limits = {});

}  // namespace podnet::cni
