#pragma once
// Runs a tool (iptables-restore, nft) inside a network namespace and reports its wall time and
// the CPU it used: the child's system time is the kernel's share of the work, since netlink
// batches are processed in the sending task's context.
#include <string>
#include <vector>

namespace podnet::bench {

struct ToolRun {
  int exit_code = -1;
  double wall_ms = 0, user_ms = 0, sys_ms = 0;
  std::string err;  // stderr, for the failure message
};

// posix_spawn of argv[0] (PATH search) from a thread that joined `netns_path`; stdin from
// `stdin_file`, stdout discarded. Throws std::runtime_error when the namespace cannot be entered
// or the tool cannot be started.
ToolRun run_tool(const std::string& netns_path, const std::vector<std::string>& argv,
                 const std::string& stdin_file);

// Like run_tool but throws (naming the tool and its stderr) unless it exits 0.
ToolRun run_tool_ok(const std::string& netns_path, const std::vector<std::string>& argv,
                    const std::string& stdin_file);

// Writes text to a file (the tools read their input from it).
void write_file(const std::string& path, const std::string& text);

}  // namespace podnet::bench
