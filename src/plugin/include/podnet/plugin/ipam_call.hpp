#pragma once
// Calls to the IPAM plugin named by ipam.type. For this build's own podnet-ipam (the one in
// CNI_PATH carries podnet's build mark, see podnet/ipam/build_mark.hpp) the IPAM flows run
// in-process: same code, same on-disk store and lock, one process spawn less per ADD/DEL.
// Every other IPAM type, and a podnet-ipam from elsewhere, is exec'd through CNI_PATH.
#include <expected>
#include <future>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/cni/error.hpp"
#include "podnet/cni/exec.hpp"
#include "podnet/cni/skel.hpp"

namespace podnet::plugin {

struct IpamTarget {
  std::string type;    // ipam.type
  std::string binary;  // its path in CNI_PATH
  bool in_process = false;
};

// Finds ipam.type in CNI_PATH (code 7 when absent) and decides how to call it.
std::expected<IpamTarget, cni::CniError> resolve_ipam(const std::string& type,
                                                      const cni::CmdArgs& args);

// An IPAM call started but not waited for, so ADD can build the veth pair meanwhile.
class PendingIpam {
 public:
  explicit PendingIpam(cni::RunningPlugin child) : child_(std::move(child)) {}
  explicit PendingIpam(std::future<cni::CmdResult> task) : task_(std::move(task)) {}
  // The IPAM result (null when it printed nothing) or its error.
  std::expected<nlohmann::json, cni::CniError> wait();

 private:
  std::optional<cni::RunningPlugin> child_;
  std::future<cni::CmdResult> task_;
};

std::expected<PendingIpam, cni::CniError> start_ipam(const IpamTarget& target, cni::Command command,
                                                     const cni::CmdArgs& args);
std::expected<nlohmann::json, cni::CniError> call_ipam(const IpamTarget& target,
                                                       cni::Command command,
                                                       const cni::CmdArgs& args);

}  // namespace podnet::plugin
