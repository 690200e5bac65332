#pragma once
// Helpers shared by the command implementations.
#include <expected>
#include <string>

#include "podnet/cni/error.hpp"
#include "podnet/cni/skel.hpp"
#include "podnet/common/error.hpp"
#include "podnet/plugin/conf.hpp"

namespace podnet::plugin {

// Parses stdin and the plugin keys, and sets up logging for this invocation.
std::expected<PluginConf, cni::CniError> load_conf(const cni::CmdArgs& args);

// A system error as a CNI error: code 5 (I/O) with the message naming the object.
cni::CniError sys_error(const Error& e, std::string_view what);

}  // namespace podnet::plugin
