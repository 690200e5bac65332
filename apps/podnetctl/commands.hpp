#pragma once
// podnetctl's command groups. main.cpp builds the CLI11 app with the parent commands
// ("lab", "get", "create", "scale", "delete", "exec", "inspect") and asks each group to add its
// subcommands under them (app.get_subcommand("get")->add_subcommand("pods", ...)); each group
// lives in its own files.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::ctl {

// Options every command shares.
struct Context {
  std::string lab = "podnet";      // --lab NAME: which lab (its files live in /run/podnet-lab/NAME)
  std::string store_url;           // --store URL; empty: the lab's store (from its lab.json)
  std::string output;              // -o: "", "wide", "json", "yaml", "name" (commands that list)
  std::vector<std::string> names;  // `get KIND [NAME...]`: only these (error if one is missing)
  std::string ns{cluster::default_namespace};  // -n NAMESPACE: where pods and deployments are
  bool all_namespaces = false;  // get -A: every namespace (then -n is ignored, as kubectl)
  bool watch = false;           // get -w: after the listing, a line per change until Ctrl-C
  const CLI::Option* ns_option = nullptr;  // -n, to tell a given one from the default

  // -n was on the command line (apply -f refuses objects of another namespace then).
  bool namespace_given() const { return ns_option && ns_option->count() > 0; }

  // -n's value, checked: error "--namespace: \"Bad\" is not a DNS-1123 label (...)".
  Result<std::string> namespace_arg() const;

  // The store of --store, else of the running lab; error "no lab \"podnet\" is up (...)".
  Result<std::unique_ptr<store::Store>> open_store() const;
};

// The namespace a listing covers: "" for -A (all of them); -A with names is refused.
Result<std::string> listing_namespace(const Context& ctx);
// kubectl's words for an empty listing (on stderr): "No resources found in default namespace."
void say_none_found(const std::string& ns);

// Keeps the objects whose name() is in `names` (all when empty); error naming the first missing
// one the way kubectl does: `pods "web-x" not found`.
template <class T, class Name>
Result<std::vector<T>> only_named(std::vector<T> all, const std::vector<std::string>& names,
                                  std::string_view kind, Name name) {
  if (names.empty()) return all;
  std::vector<T> out;
  for (const auto& want : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const T& o) { return name(o) == want; });
    if (it == all.end()) return fail(std::string(kind) + " \"" + want + "\" not found");
    out.push_back(*it);
  }
  return out;
}

void add_lab_commands(CLI::App& app, Context& ctx);       // lab up|status|down (+ internal ones)
void add_node_commands(CLI::App& app, Context& ctx);      // get nodes, exec
void add_workload_commands(CLI::App& app, Context& ctx);  // deployments, pods, inspect
void add_service_commands(CLI::App& app, Context& ctx);   // services, endpoints, expose
void add_apply_commands(CLI::App& app, Context& ctx);     // apply -f, delete -f
void add_event_commands(CLI::App& app, Context& ctx);  // get events, describe pod|node|deployment
void add_trace_command(CLI::App& app, Context& ctx);      // trace FROM TO

void add_graph_commands(CLI::App& app, Context& ctx);       // graph: SVG/DOT of the cluster
void add_completion_commands(CLI::App& app, Context& ctx);  // completion bash

}  // namespace podnet::ctl
