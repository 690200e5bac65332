#pragma once
// `podnetctl inspect service NAME [--node NODE]`: what each node's kernel holds for a Service
// (its map elements, chains and conntrack entries), checked against what podnetd plans there.
#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace podnet::ctl {

void add_inspect_service_command(CLI::App& app, Context& ctx);

}  // namespace podnet::ctl
