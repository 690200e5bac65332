#pragma once
// `podnetctl completion bash`: the bash completion script, generated from the CLI11 command tree
// at run time so it never drifts from the commands. Pure, no I/O.
//
// completion_tree() reads the tree: per command its subcommands (hidden ones, group "", left
// out), aliases, flags and what their values and positional arguments complete to. bash_script()
// writes the tables and one completion function that walks COMP_WORDS through them. Live object
// names (pods, nodes, deployments, services) come from podnetctl itself at TAB time:
// `podnetctl get KIND -o name` ("pod/web-x"; the part after the last "/"), or, when that is
// refused, the first column of `podnetctl get KIND`.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace podnet::ctl {

// What a value or a positional argument completes to, as the script's spec words:
//   "w:json yaml"  these words      "o:pods"  live names of that kind (get pods -o name)
//   "f"            file names       "d:/run/podnet-lab"  entries of that directory (lab names)
//   ""             nothing
using CompletionSpec = std::string;

struct CompletionCommand {
  std::vector<std::string> path;                 // canonical names from the root: {"get", "pods"}
  std::vector<std::string> subcommands;          // canonical names, in the tree's order
  std::map<std::string, std::string> aliases;    // every name and alias -> canonical name
  std::vector<std::string> flags;                // "-o", "--output", ... (also those of --help)
  std::map<std::string, CompletionSpec> values;  // flag taking a value -> its completion
  CompletionSpec arguments;                      // what its positional arguments complete to
};

// Every visible command, parents before children, the root first (path empty).
// `lab_dir` is where labs live (--lab completes to its entries).
std::vector<CompletionCommand> completion_tree(const CLI::App& root, std::string_view lab_dir);

// The bash script for `prog` ("podnetctl"): `source <(podnetctl completion bash)`.
std::string bash_script(const std::vector<CompletionCommand>& tree, std::string_view prog);

}  // namespace podnet::ctl
