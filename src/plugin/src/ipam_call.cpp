#include "podnet/plugin/ipam_call.hpp"

#include "podnet/ipam/build_mark.hpp"
#include "podnet/ipam/flows.hpp"

namespace podnet::plugin {

namespace {

cni::CmdResult run_flow(cni::Command command, const cni::CmdArgs& args) {
  switch (command) {
    case cni::Command::add:
      return ipam::flows::cmd_add(args);
    case cni::Command::del:
      return ipam::flows::cmd_del(args);
    case cni::Command::check:
      return ipam::flows::cmd_check(args);
    case cni::Command::status:
      return ipam::flows::cmd_status(args);
    case cni::Command::gc:
      return ipam::flows::cmd_gc(args);
    case cni::Command::version:
      break;
  }
  return std::unexpected(cni::CniError(cni::Code::invalid_env, "CNI_COMMAND: VERSION for IPAM"));
}

}  // namespace

std::expected<IpamTarget, cni::CniError> resolve_ipam(const std::string& type,
                                                      const cni::CmdArgs& args) {
  IpamTarget t;
  t.type = type;
  t.binary = PODNET_TRY(cni::find_plugin(type, args.env.path));
  // Only the name podnet-ipam is worth the 4 KiB read: host-local and the rest are exec'd.
  t.in_process = type == "podnet-ipam" && ipam::has_build_mark(t.binary);
  return t;
}

std::expected<nlohmann::json, cni::CniError> PendingIpam::wait() {
  if (child_) return child_->wait();
  auto r = task_.get();  // rethrows what the flow threw; run_plugin reports it as code 999
  if (!r) return std::unexpected(r.error());
  return std::move(*r);
}

std::expected<PendingIpam, cni::CniError> start_ipam(const IpamTarget& target, cni::Command command,
                                                     const cni::CmdArgs& args) {
  if (!target.in_process) {
    auto child = cni::start_plugin(target.binary, command, args.stdin_data);
    if (!child) return std::unexpected(child.error());
    return PendingIpam(std::move(*child));
  }
  // The exec'd plugin would see the same environment with CNI_COMMAND replaced.
  cni::CmdArgs a = args;
  a.env.command = command;
  return PendingIpam(
      std::async(std::launch::async, [command, a = std::move(a)] { return run_flow(command, a); }));
}

std::expected<nlohmann::json, cni::CniError> call_ipam(const IpamTarget& target,
                                                       cni::Command command,
                                                       const cni::CmdArgs& args) {
  if (!target.in_process) return cni::exec_plugin(target.binary, command, args.stdin_data);
  cni::CmdArgs a = args;
  a.env.command = command;
  auto r = run_flow(command, a);
  if (!r) return std::unexpected(r.error());
  return std::move(*r);
}

}  // namespace podnet::plugin
