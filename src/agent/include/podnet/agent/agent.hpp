#pragma once
// podnetd: the node agent (docs/contracts.md). run_agent() is the daemon, run_leave() the
// `--leave` command; both return the process exit code (0 ok, 1 runtime failure, 2 bad
// flags/config).
#include "podnet/agent/options.hpp"

namespace podnet::agent {

int run_agent(const Options& o);
int run_leave(const Options& o);

}  // namespace podnet::agent
