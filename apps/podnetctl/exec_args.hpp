#pragma once
// `exec ... -- CMD ARGS...`: main takes everything after the `--` that follows `exec` out of
// the command line before CLI11 sees it (CLI11 would try to parse the command's own options),
// and node_cmds.cpp runs it.
#include <string>
#include <vector>

namespace podnet::ctl {

// Splits argv at the first "--" after an "exec" word; returns the part after it and shortens
// args to the part before it. No "exec ... --": args unchanged, empty result.
std::vector<std::string> take_exec_command(std::vector<std::string>& args);
void set_exec_command(std::vector<std::string> cmd);

}  // namespace podnet::ctl
