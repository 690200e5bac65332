#pragma once
// `podnetctl inspect node NAME [-o json|yaml] [--podnetd ADDR:PORT]`: the node's lease,
// backend, VTEP, per-peer routes/FDB/neighbours matched against podnetd's plan, masquerade
// table, Service proxy and podnetd's health (core/node_inspect_view formats it).
#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace podnet::ctl {

void add_inspect_node_command(CLI::App& app, Context& ctx);

}  // namespace podnet::ctl
