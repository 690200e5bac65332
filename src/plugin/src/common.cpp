#include "podnet/plugin/common.hpp"

#include <fmt/format.h>

#include "podnet/cni/netconf.hpp"
#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"

namespace podnet::plugin {

std::expected<PluginConf, cni::CniError> load_conf(const cni::CmdArgs& args) {
  auto net = PODNET_TRY(cni::parse_netconf(args.stdin_data));
  auto conf = PODNET_TRY(parse_conf(net, args.env));
  log::Level lvl = conf.log_level == "debug"  ? log::Level::debug
                   : conf.log_level == "info" ? log::Level::info
                   : conf.log_level == "error" ? log::Level::error
                                               : log::Level::warn;
  log::set_stderr_level(lvl);
  if (auto f = log::set_file(conf.log_file); !f)
    return std::unexpected(cni::CniError(cni::Code::io_failure, "logFile: " + f.error().message));
  log::set_prefix(fmt::format("podnet[{} {} {}/{}]", cni::command_name(args.env.command),
                              conf.net.name, args.env.container_id.substr(0, 12),
                              args.env.ifname));
  return conf;
}

cni::CniError sys_error(const Error& e, std::string_view what) {
  return cni::CniError(cni::Code::io_failure, fmt::format("{}: {}", what, e.message));
}

}  // namespace podnet::plugin
