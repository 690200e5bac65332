// podnetctl get nodes, podnetctl exec (a command in a node's or a pod's network namespace).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/listing.hpp"
#include "core/manifest.hpp"
#include "exec_args.hpp"
#include "node_inspect.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/state_file.hpp"
#include "run.hpp"
#include "watch.hpp"

namespace podnet::ctl {

namespace {
std::vector<std::string>& exec_command() {
  static std::vector<std::string> cmd;
  return cmd;
}
}  // namespace

std::vector<std::string> take_exec_command(std::vector<std::string>& args) {
  bool seen_exec = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "exec") seen_exec = true;
    if (args[i] == "--" && seen_exec) {
      std::vector<std::string> cmd(args.begin() + static_cast<long>(i) + 1, args.end());
      args.resize(i);
      return cmd;
    }
  }
  return {};
}

void set_exec_command(std::vector<std::string> cmd) {
  exec_command() = std::move(cmd);
}

namespace {

Result<> get_nodes(const Context& ctx) {
  const auto out_fmt = PODNET_TRY(parse_list_format(ctx.output));
  const auto table_fmt =
      out_fmt == ListFormat::wide ? lab::OutputFormat::wide : lab::OutputFormat::table;
  // Ages come from the lab (nodes have no creation time in the store).
  std::vector<std::pair<std::string, long long>> ages;
  if (ctx.store_url.empty()) {
    if (auto s = lab::load_state(ctx.lab); s && *s)
      for (const auto& n : (*s)->nodes)
        ages.emplace_back(n.name, std::time(nullptr) - (*s)->created);
  }
  std::optional<StopSignals> stop;
  if (ctx.watch) stop.emplace();  // before the store's threads exist
  auto st = PODNET_TRY(ctx.open_store());
  auto list = PODNET_TRY(st->list(cluster::nodes_prefix));
  std::optional<cluster::BackendType> backend;
  if (auto cfg = st->get(cluster::config_key); cfg && *cfg)
    if (auto c = cluster::parse_config((*cfg)->value)) backend = c->backend.type;
  auto nodes = PODNET_TRY(
      only_named(lab::parse_nodes(list), ctx.names, "nodes", [](const auto& n) { return n.name; }));
  auto object = [](const cluster::Node& n) { return with_type(cluster::to_json(n), "v1", "Node"); };
  if (is_object_output(ctx.output)) {
    std::vector<nlohmann::json> items;
    for (const auto& n : nodes) items.push_back(object(n));
    std::cout << format_objects(std::move(items), out_fmt, "node", ctx.names.size() == 1);
  } else if (nodes.empty()) {
    if (!ctx.watch) std::cerr << "No resources found\n";
  } else {
    std::cout << lab::format_nodes(nodes, table_fmt, backend, ages);
  }
  std::cout << std::flush;
  if (!ctx.watch) return {};
  Followed<cluster::Node> followed(&cluster::node_from_json, ctx.names);
  for (const auto& n : nodes) followed.remember(cluster::node_key(n.name), n);
  return follow(*st, *stop, cluster::nodes_prefix, list.revision, [&](const store::Event& ev) {
    bool deleted = false;  // a removed node prints its last row
    auto node = followed.apply(ev, deleted);
    if (!node) return;
    if (is_object_output(ctx.output))
      std::cout << format_objects({object(*node)}, out_fmt, "node", true);
    else
      std::cout << without_header(lab::format_nodes({*node}, table_fmt, backend, ages));
    std::cout << std::flush;
  });
}

// fork; the child joins the namespace (it is alone in its process, so nothing else moves) and
// execs. Returns the command's exit status (128+N when killed by signal N), like a shell.
Result<int> exec_in(const std::string& ns_path, const std::vector<std::string>& cmd) {
  UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return fail_errno("open " + ns_path);
  std::vector<char*> argv;
  for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      std::perror(("podnetctl exec: enter " + ns_path).c_str());
      ::_exit(126);
    }
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "podnetctl exec: %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  // Like system(): ^C goes to the command, which decides; we report how it ended.
  struct sigaction ign {
  }, old_int{}, old_quit{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, &old_int);
  ::sigaction(SIGQUIT, &ign, &old_quit);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct ExecArgs {
  std::string node;
  std::string pod;
  bool ext = false;  // the lab's outside host
};

Result<int> exec_cmd(const Context& ctx, const ExecArgs& a) {
  auto state = PODNET_TRY(lab::require_state(ctx.lab));
  const std::vector<std::string>& cmd = exec_command();
  std::string ns;
  if (a.ext + !a.node.empty() + !a.pod.empty() > 1)
    return fail("exec: give one of --node NODE, --ext or a pod name");
  if (a.ext) {
    ns = lab::netns_ext(ctx.lab);
  } else if (!a.node.empty()) {
    if (!state.find_node(a.node)) {
      std::string known;
      for (const auto& n : state.nodes) known += (known.empty() ? "" : ", ") + n.name;
      return fail(
          fmt::format("--node: unknown node \"{}\" (lab {} has {})", a.node, ctx.lab, known));
    }
    ns = lab::netns_node(ctx.lab, a.node);
  } else {
    if (a.pod.empty())
      return fail("exec: give --node NODE, --ext or a pod name, then -- COMMAND...");
    const std::string& pod = a.pod;
    const auto pod_ns = PODNET_TRY(ctx.namespace_arg());
    ns = lab::netns_pod(ctx.lab, pod_ns, pod);
    if (!lab::named_netns_exists(ns))
      return fail(fmt::format("unknown pod \"{}\" in namespace {} (no netns {})", pod, pod_ns,
                              lab::netns_path(ns)));
  }
  if (cmd.empty())
    return fail(
        "exec: no command (usage: exec --node NODE -- CMD... | exec --ext -- CMD... | exec POD -- "
        "CMD...)");
  return exec_in(lab::netns_path(ns), cmd);
}

}  // namespace

void add_node_commands(CLI::App& app, Context& ctx) {
  auto* nodes = app.get_subcommand("get")->add_subcommand("nodes", "list the nodes: NAME IP PODS");
  nodes->alias("node");
  nodes->add_option("-o,--output", ctx.output, "wide, json, yaml or name")
      ->check(CLI::IsMember({"wide", "json", "yaml", "name"}));
  nodes->add_flag("-w,--watch", ctx.watch, "after the listing, a line per change until Ctrl-C");
  nodes->add_option("NAME", ctx.names, "only these nodes");
  nodes->callback([&ctx] { run_command([&] { return get_nodes(ctx); }); });
  add_inspect_node_command(app, ctx);

  auto args = std::make_shared<ExecArgs>();
  auto* exec = app.get_subcommand("exec");
  exec->add_option("--node", args->node, "run in this node's network namespace");
  exec->add_flag("--ext", args->ext,
                 "run on the lab's outside host (10.1.1.1, and 203.0.113.1 on its lo)");
  exec->add_option("pod", args->pod, "the pod (or --node NODE, --ext); then -- COMMAND [ARGS...]");
  exec->callback([&ctx, args] {
    int rc = 0;
    run_command([&]() -> Result<> {
      rc = PODNET_TRY(exec_cmd(ctx, *args));
      return {};
    });
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace podnet::ctl
