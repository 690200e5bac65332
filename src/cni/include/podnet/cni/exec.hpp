#pragma once
// Delegation to another plugin (IPAM, chained plugins), as libcni's invoke package does:
// find the binary in CNI_PATH, run it with this invocation's environment and a config on
// stdin, decode its result or error.
#include <expected>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/cni/env.hpp"
#include "podnet/cni/error.hpp"

namespace podnet::cni {

// Absolute path of plugin `type` in the colon-separated `cni_path`; code 7 if absent.
std::expected<std::string, CniError> find_plugin(const std::string& type,
                                                 const std::string& cni_path);

// A delegated plugin started but not yet waited for: lets the caller overlap its own work
// (creating the veth pair) with the IPAM plugin's run on another core.
class RunningPlugin {
 public:
  RunningPlugin(std::string plugin, int pid, int out_fd) : plugin_(std::move(plugin)), pid_(pid), out_fd_(out_fd) {}
  RunningPlugin(RunningPlugin&& o) noexcept;
  RunningPlugin& operator=(RunningPlugin&&) = delete;
  ~RunningPlugin();  // waits for the child if wait() was never called
  // Reads the child's stdout, reaps it, decodes its result (null when empty) or error.
  std::expected<nlohmann::json, CniError> wait();

 private:
  std::string plugin_;
  int pid_ = -1;
  int out_fd_ = -1;
};

std::expected<RunningPlugin, CniError> start_plugin(const std::string& plugin, Command command,
                                                    const std::string& config);

// Runs `plugin` for `command` with `config` on stdin. The child's environment is ours with
// CNI_COMMAND replaced. Returns the decoded stdout (null when empty) or the child's error.
std::expected<nlohmann::json, CniError> exec_plugin(const std::string& plugin, Command command,
                                                    const std::string& config);

}  // namespace podnet::cni
