#pragma once
// The podnet plugin's commands: each parses, plans (pure) and applies through src/sys and
// src/nft. Wired into cni::run_plugin by apps/podnet/main.cpp.
#include "podnet/cni/skel.hpp"

namespace podnet::plugin {

cni::CmdResult cmd_add(const cni::CmdArgs& args);
cni::CmdResult cmd_del(const cni::CmdArgs& args);
cni::CmdResult cmd_check(const cni::CmdArgs& args);
cni::CmdResult cmd_status(const cni::CmdArgs& args);
cni::CmdResult cmd_gc(const cni::CmdArgs& args);

cni::PluginFuncs plugin_funcs();

}  // namespace podnet::plugin
