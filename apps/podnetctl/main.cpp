// podnetctl: the CLI of podnet's cluster objects and of the lab. main builds the command tree's
// parents; each command group (lab_cmds, node_cmds, workload_cmds) adds its subcommands.
#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exec_args.hpp"

namespace podnet::ctl {
// The workloads and services groups live in their own files; a build without them still links.
[[gnu::weak]] void add_workload_commands(CLI::App&, Context&) {}
[[gnu::weak]] void add_service_commands(CLI::App&, Context&) {}
[[gnu::weak]] void add_apply_commands(CLI::App&, Context&) {}
[[gnu::weak]] void add_event_commands(CLI::App&, Context&) {}
}  // namespace podnet::ctl

int main(int argc, char** argv) {
  using namespace podnet::ctl;
  CLI::App app{"podnetctl: pods, nodes and services of a podnet cluster, and the podnet lab"};
  app.set_version_flag("--version", std::string("podnetctl ") + PODNET_VERSION);
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too: `podnetctl get nodes --lab x`.
  app.fallthrough();
  Context ctx;
  app.add_option("--lab", ctx.lab, "lab name (files in /run/podnet-lab/NAME)")
      ->capture_default_str();
  app.add_option("--store", ctx.store_url,
                 "store URL (sqlite:///path, etcd://host:port); default: the lab's");
  ctx.ns_option = app.add_option("-n,--namespace", ctx.ns, "namespace of the objects")
                      ->capture_default_str();
  for (const auto& [name, help] : {std::pair{"lab", "make, check and remove the lab"},
                                   {"get", "list objects"},
                                   {"create", "create objects"},
                                   {"scale", "change a deployment's replica count"},
                                   {"delete", "delete objects"},
                                   {"describe", "show an object in detail"},
                                   {"expose", "make a service for a deployment"},
                                   {"inspect", "show how an object is wired"}})
    app.add_subcommand(name, help)->require_subcommand(1);
  app.add_subcommand("apply", "create or update objects from a file (-f FILE|-)");
  app.add_subcommand("exec", "run a command in a node's or a pod's network namespace");
  app.add_subcommand("logs", "print a pod's container log (its access lines)");
  add_lab_commands(app, ctx);
  add_node_commands(app, ctx);
  add_workload_commands(app, ctx);
  add_service_commands(app, ctx);
  add_apply_commands(app, ctx);
  add_event_commands(app, ctx);
  add_graph_commands(app, ctx);
  add_completion_commands(app, ctx);
  add_trace_command(app, ctx);
  std::vector<std::string> args(argv, argv + argc);
  set_exec_command(take_exec_command(args));
  try {
    args.erase(args.begin());
    std::reverse(args.begin(), args.end());  // CLI11's vector form takes them last-first
    app.parse(args);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command's own status, its message already printed
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // Bad arguments: one line and kubectl's usage status.
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
