// podnetctl's workload commands: create/scale/get/delete deployments and pods, inspect pod.
#include <atomic>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/listing.hpp"
#include "core/manifest.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/lab/workload_view.hpp"
#include "run.hpp"
#include "watch.hpp"
#include "workload_inspect.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

struct DeploymentArgs {
  std::string name;
  int64_t replicas = 1;
  int64_t port = 80;
  bool wait = true;
  int timeout = 120;
};

Result<> create_deployment(const Context& ctx, const DeploymentArgs& a) {
  const auto ns = PODNET_TRY(ctx.namespace_arg());
  auto d = PODNET_TRY(cluster::make_deployment(ns, a.name, a.replicas, a.port, std::time(nullptr)));
  auto s = PODNET_TRY(ctx.open_store());
  auto r = PODNET_TRY(s->create(cluster::deployment_key(d.ns, d.name), cluster::to_json(d).dump()));
  if (!r.succeeded) return fail(fmt::format("deployment \"{}\" already exists", a.name));
  std::cout << fmt::format("deployment.apps/{} created\n", a.name) << std::flush;
  if (a.wait)
    PODNET_TRY_VOID(wait_deployment_ready(*s, ns, a.name, std::chrono::seconds(a.timeout)));
  return {};
}

Result<> scale_deployment(const Context& ctx, const DeploymentArgs& a) {
  const auto ns = PODNET_TRY(ctx.namespace_arg());
  PODNET_TRY_VOID(cluster::validate_replicas(a.replicas));
  auto s = PODNET_TRY(ctx.open_store());
  const auto key = cluster::deployment_key(ns, a.name);
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto kv = PODNET_TRY(s->get(key));
    if (!kv) return fail(fmt::format("deployments.apps \"{}\" not found", a.name));
    auto d = PODNET_TRY(cluster::deployment_from_json(PODNET_TRY(parse_json_bounded(
        kv->value, json_default_max_depth, json_default_max_bytes, key))));
    d.replicas = a.replicas;
    auto r = PODNET_TRY(s->compare_and_swap(key, cluster::to_json(d).dump(), kv->mod_revision));
    if (!r.succeeded) continue;  // changed under us: read again
    std::cout << fmt::format("deployment.apps/{} scaled\n", a.name) << std::flush;
    if (a.wait)
      PODNET_TRY_VOID(wait_deployment_ready(*s, ns, a.name, std::chrono::seconds(a.timeout)));
    return {};
  }
  return fail(fmt::format("deployment \"{}\" keeps changing; try again", a.name));
}

Result<> get_pods(const Context& ctx) {
  const auto ns = PODNET_TRY(listing_namespace(ctx));
  std::optional<StopSignals> stop;
  if (ctx.watch) stop.emplace();  // before the store's threads exist
  auto s = PODNET_TRY(ctx.open_store());
  store::Revision rev = 0;
  auto pods = PODNET_TRY(only_named(PODNET_TRY(list_pods(*s, ns, &rev)), ctx.names, "pods",
                                    [](const auto& p) { return p.name; }));
  const lab::TableOptions opt{.wide = ctx.output == "wide", .namespaces = ns.empty()};
  if (is_object_output(ctx.output)) {
    std::vector<nlohmann::json> items;
    for (const auto& p : pods) items.push_back(with_type(cluster::to_json(p), "v1", "Pod"));
    std::cout << format_objects(std::move(items), PODNET_TRY(parse_list_format(ctx.output)),
                                "pod", ctx.names.size() == 1);
  } else if (pods.empty()) {
    if (!ctx.watch) say_none_found(ns);
  } else {
    std::cout << lab::pods_table(pods, std::time(nullptr), opt);
  }
  std::cout << std::flush;
  if (!ctx.watch) return {};
  Followed<cluster::Pod> followed(&cluster::pod_from_json, ctx.names);
  for (const auto& p : pods) followed.remember(cluster::pod_key(p.ns, p.name), p);
  const std::string prefix = ns.empty() ? std::string(cluster::pods_prefix)
                                        : fmt::format("{}{}/", cluster::pods_prefix, ns);
  const auto fmt = PODNET_TRY(parse_list_format(ctx.output));
  return follow(*s, *stop, prefix, rev, [&](const store::Event& ev) {
    bool deleted = false;
    auto pod = followed.apply(ev, deleted);
    if (!pod) return;
    if (deleted) {  // the last state, as kubectl's watch shows a pod going away
      pod->reason = "Terminating";
      pod->ready = false;
    }
    if (is_object_output(ctx.output))
      std::cout << format_objects({with_type(cluster::to_json(*pod), "v1", "Pod")}, fmt, "pod",
                                  true);
    else
      std::cout << without_header(lab::pods_table({*pod}, std::time(nullptr), opt));
    std::cout << std::flush;
  });
}

Result<> get_deployments(const Context& ctx) {
  const auto ns = PODNET_TRY(listing_namespace(ctx));
  auto s = PODNET_TRY(ctx.open_store());
  auto deployments =
      PODNET_TRY(only_named(PODNET_TRY(list_deployments(*s, ns)), ctx.names, "deployments.apps",
                            [](const auto& d) { return d.name; }));
  if (is_object_output(ctx.output)) {
    std::vector<nlohmann::json> items;
    for (const auto& d : deployments)
      items.push_back(with_type(cluster::to_json(d), "apps/v1", "Deployment"));
    std::cout << format_objects(std::move(items), PODNET_TRY(parse_list_format(ctx.output)),
                                "deployment.apps", ctx.names.size() == 1);
    return {};
  }
  if (deployments.empty()) {
    say_none_found(ns);
    return {};
  }
  std::cout << lab::deployments_table(deployments, PODNET_TRY(list_pods(*s, ns)),
                                      std::time(nullptr), {.namespaces = ns.empty()});
  return {};
}

// `key_of(namespace, name)` is the object's store key.
Result<> delete_object(const Context& ctx,
                       std::string (*key_of)(std::string_view, std::string_view),
                       const std::string& kind, const std::string& name) {
  const auto ns = PODNET_TRY(ctx.namespace_arg());
  const auto key = key_of(ns, name);
  auto s = PODNET_TRY(ctx.open_store());
  if (!PODNET_TRY(s->del(key))) return fail(fmt::format("{} \"{}\" not found", kind, name));
  std::cout << fmt::format("{} \"{}\" deleted\n", kind, name);
  return {};
}

struct LogsArgs {
  std::string pod;
  int64_t tail = -1;  // -1: all lines
  bool follow = false;
};

// The last `n` lines of `text` (all when n < 0).
std::string_view last_lines(std::string_view text, int64_t n) {
  if (n < 0) return text;
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;  // the final newline ends the last line
  for (int64_t seen = 0; pos > 0; --pos)
    if (text[pos - 1] == '\n' && ++seen == n) break;
  return n == 0 ? std::string_view() : text.substr(pos);
}

std::atomic<bool> g_stop_follow{false};

// `podnetctl logs POD`: the container's log from its node's kubelet directory, like kubectl logs
// (--tail N, -f to follow until Ctrl-C).
Result<> pod_logs(const Context& ctx, const LogsArgs& a) {
  const auto ns = PODNET_TRY(ctx.namespace_arg());
  auto state = PODNET_TRY(lab::require_state(ctx.lab));
  auto s = PODNET_TRY(ctx.open_store());
  auto pod = PODNET_TRY(get_pod(*s, ns, a.pod));
  if (pod.node.empty())
    return fail(fmt::format("pod \"{}\" is not scheduled on a node yet: no logs", a.pod));
  const std::string path =
      lab::container_log_path(lab::kubelet_config(state, pod.node), ns, pod.name);
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(
        fmt::format("pod \"{}\": no container log yet ({} has not started it)", a.pod, pod.node));
  std::string text((std::istreambuf_iterator<char>(f)), {});
  std::cout << last_lines(text, a.tail) << std::flush;
  if (!a.follow) return {};
  std::signal(SIGINT, [](int) { g_stop_follow = true; });
  std::signal(SIGTERM, [](int) { g_stop_follow = true; });
  while (!g_stop_follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    f.clear();
    std::string more((std::istreambuf_iterator<char>(f)), {});
    if (!more.empty()) std::cout << more << std::flush;
  }
  return {};
}

// -o and -A of `get pods|deployments`.
void add_listing_options(CLI::App* cmd, Context& ctx, bool wide) {
  std::vector<std::string> allowed = {"json", "yaml", "name"};
  if (wide) allowed.push_back("wide");
  cmd->add_option("-o,--output", ctx.output, wide ? "wide, json, yaml or name" : "json, yaml or name")
      ->check(CLI::IsMember(allowed));
  cmd->add_flag("-A,--all-namespaces", ctx.all_namespaces, "list every namespace");
}

}  // namespace

void add_workload_commands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DeploymentArgs>();

  auto* create = app.get_subcommand("create")->add_subcommand("deployment", "create a deployment");
  create->add_option("NAME", args->name, "deployment name")->required();
  create->add_option("--replicas", args->replicas, "number of pods (default 1)");
  create->add_option("--port", args->port, "the container's port (default 80)");
  create->add_option("--wait", args->wait, "wait until the pods are Running (default true)");
  create->add_option("--timeout", args->timeout, "seconds to wait (default 120)");
  create->callback([&ctx, args] { run_command([&] { return create_deployment(ctx, *args); }); });

  auto* scale =
      app.get_subcommand("scale")->add_subcommand("deployment", "set a deployment's replicas");
  scale->add_option("NAME", args->name, "deployment name")->required();
  scale->add_option("--replicas", args->replicas, "number of pods")->required();
  scale->add_option("--wait", args->wait, "wait until the pods are Running (default false)")
      ->default_str("false");
  scale->add_option("--timeout", args->timeout, "seconds to wait (default 120)");
  scale->preparse_callback([args](size_t) { args->wait = false; });
  scale->callback([&ctx, args] { run_command([&] { return scale_deployment(ctx, *args); }); });

  auto* get = app.get_subcommand("get");
  auto* pods = get->add_subcommand("pods", "list pods")->alias("pod")->alias("po");
  add_listing_options(pods, ctx, true);
  pods->add_flag("-w,--watch", ctx.watch, "after the listing, a line per change until Ctrl-C");
  pods->add_option("NAME", ctx.names, "only these pods");
  pods->callback([&ctx] { run_command([&] { return get_pods(ctx); }); });
  auto* deps =
      get->add_subcommand("deployments", "list deployments")->alias("deployment")->alias("deploy");
  add_listing_options(deps, ctx, false);
  deps->add_option("NAME", ctx.names, "only these deployments");
  deps->callback([&ctx] { run_command([&] { return get_deployments(ctx); }); });

  auto del_name = std::make_shared<std::string>();
  auto* del = app.get_subcommand("delete");
  auto* del_pod = del->add_subcommand("pod", "delete a pod (its deployment replaces it)");
  del_pod->add_option("NAME", *del_name, "pod name")->required();
  del_pod->callback([&ctx, del_name] {
    run_command([&] { return delete_object(ctx, cluster::pod_key, "pod", *del_name); });
  });
  auto* del_dep = del->add_subcommand("deployment", "delete a deployment and its pods");
  del_dep->add_option("NAME", *del_name, "deployment name")->required();
  del_dep->callback([&ctx, del_name] {
    run_command(
        [&] { return delete_object(ctx, cluster::deployment_key, "deployment.apps", *del_name); });
  });

  auto logs_args = std::make_shared<LogsArgs>();
  auto* logs = app.get_subcommand("logs");
  logs->add_option("POD", logs_args->pod, "pod name")->required();
  logs->add_option("--tail", logs_args->tail, "only the last N lines (default: all)");
  logs->add_flag("-f,--follow", logs_args->follow, "keep printing new lines until Ctrl-C");
  logs->callback([&ctx, logs_args] { run_command([&] { return pod_logs(ctx, *logs_args); }); });

  auto* inspect = app.get_subcommand("inspect")->add_subcommand(
      "pod", "a pod's network: netns, eth0, veth, routes");
  inspect->add_option("NAME", *del_name, "pod name")->required();
  inspect->callback([&ctx, del_name] {
    run_command([&]() -> Result<> {
      std::cout << PODNET_TRY(inspect_pod(ctx, *del_name));
      return {};
    });
  });
}

}  // namespace podnet::ctl
