#pragma once
// podnetctl's command groups. main.cpp builds the CLI11 app with the parent commands
// ("lab", "get", "create", "scale", "delete", "exec", "inspect") and asks each group to add its
// subcommands under them (app.get_subcommand("get")->add_subcommand("pods", ...)); each group
// lives in its own files.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::ctl {

// Options every command shares.
struct Context {
  std::string lab = "podnet";  // --lab NAME: which lab (its files live in /run/podnet-lab/NAME)
  std::string store_url;       // --store URL; empty: the lab's store (from its lab.json)
  std::string output;          // -o: "", "wide", "json" (commands that list)

  // The store of --store, else of the running lab; error "no lab \"podnet\" is up (...)".
  Result<std::unique_ptr<store::Store>> open_store() const;
};

void add_lab_commands(CLI::App& app, Context& ctx);       // lab up|status|down (+ internal ones)
void add_node_commands(CLI::App& app, Context& ctx);      // get nodes, exec
void add_workload_commands(CLI::App& app, Context& ctx);  // deployments, pods, inspect

}  // namespace podnet::ctl
