// podnetctl get events [-A] [-w] [-o json|yaml|name]; describe pod|node|deployment NAME...
#include <ctime>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/describe_view.hpp"
#include "core/event_view.hpp"
#include "core/listing.hpp"
#include "podnet/cluster/config.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/events/recorder.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "run.hpp"
#include "watch.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

Result<> get_events(const Context& ctx) {
  const auto fmt = usage_or(parse_list_format(ctx.output, false));
  const auto ns = usage_or(listing_namespace(ctx));
  std::optional<StopSignals> stop;
  if (ctx.watch) stop.emplace();  // before the store's threads exist
  auto s = PODNET_TRY(ctx.open_store());
  store::Revision rev = 0;
  auto listed = PODNET_TRY(events::list_events(*s, ns, &rev));
  if (fmt != ListFormat::table) {
    std::vector<nlohmann::json> items;
    items.reserve(listed.size());
    for (const auto& e : listed) items.push_back(event_object(e));
    std::cout << format_objects(std::move(items), fmt, "event", false) << std::flush;
  } else if (listed.empty()) {
    if (!ctx.watch) say_none_found(ns);
  } else {
    std::cout << events_table(listed, std::time(nullptr), ns.empty()) << std::flush;
  }
  if (!ctx.watch) return {};
  const std::string prefix =
      ns.empty() ? std::string(cluster::events_prefix) : cluster::events_ns_prefix(ns);
  return follow(*s, *stop, prefix, rev, [&](const store::Event& ev) {
    if (ev.type != store::Event::Type::put) return;  // pruned: nothing happened
    auto e = events::parse_stored_event(ev.kv);
    if (!e) return;
    if (fmt == ListFormat::table)
      std::cout << event_watch_line(*e, std::time(nullptr), ns.empty());
    else
      std::cout << format_objects({event_object(*e)}, fmt, "event", true);
    std::cout << std::flush;
  });
}

template <typename T, typename FromJson>
Result<std::optional<T>> get_object(store::Store& s, const std::string& key, FromJson from_json) {
  auto kv = PODNET_TRY(s.get(key));
  if (!kv) return std::optional<T>{};
  auto j = PODNET_TRY(
      parse_json_bounded(kv->value, json_default_max_depth, json_default_max_bytes, kv->key));
  auto o = from_json(j);
  if (!o) return fail(o.error().context(key));
  return std::optional<T>(std::move(*o));
}

Result<std::optional<cluster::Node>> get_node(store::Store& s, std::string_view name) {
  return get_object<cluster::Node>(s, cluster::node_key(name),
                                   [](const auto& j) { return cluster::node_from_json(j); });
}

enum class DescribeKind { pod, node, deployment };

// kubectl prints what it found, says which were not found, and exits 1 when any was missing.
Result<int> describe(const Context& ctx, DescribeKind kind, const std::vector<std::string>& names) {
  const auto ns = usage_or(ctx.namespace_arg());
  auto s = PODNET_TRY(ctx.open_store());
  const int64_t now = std::time(nullptr);
  // Node events live in the default namespace, as Kubernetes keeps them.
  const auto listed = PODNET_TRY(events::list_events(
      *s, kind == DescribeKind::node ? std::string(cluster::default_namespace) : ns));
  std::string out;
  int rc = 0;
  for (const auto& name : names) {
    std::string text;
    if (kind == DescribeKind::pod) {
      auto p = PODNET_TRY(get_object<cluster::Pod>(
          *s, cluster::pod_key(ns, name), [](const auto& j) { return cluster::pod_from_json(j); }));
      if (p) {
        std::optional<cluster::Node> node;
        if (!p->node.empty()) node = PODNET_TRY(get_node(*s, p->node));
        text =
            describe_pod(*p, node, cluster::events_about(listed, cluster::pod_ref(ns, name)), now);
      }
    } else if (kind == DescribeKind::node) {
      if (auto n = PODNET_TRY(get_node(*s, name))) {
        std::optional<cluster::BackendType> backend;
        if (auto cfg = s->get(cluster::config_key); cfg && *cfg)
          if (auto c = cluster::parse_config((*cfg)->value)) backend = c->backend.type;
        text = describe_node(*n, PODNET_TRY(list_pods(*s, "")), backend,
                             cluster::events_about(listed, cluster::node_ref(name)), now);
      }
    } else {
      auto d = PODNET_TRY(get_object<cluster::Deployment>(
          *s, cluster::deployment_key(ns, name),
          [](const auto& j) { return cluster::deployment_from_json(j); }));
      if (d)
        text = describe_deployment(*d, PODNET_TRY(list_pods(*s, ns)),
                                   cluster::events_about(listed, cluster::deployment_ref(ns, name)),
                                   now);
    }
    if (text.empty()) {
      static constexpr const char* resource[] = {"pods", "nodes", "deployments.apps"};
      std::cerr << fmt::format("Error from server (NotFound): {} \"{}\" not found\n",
                               resource[int(kind)], name);
      rc = exit_failure;
      continue;
    }
    if (!out.empty()) out += "\n\n";  // kubectl separates objects by a blank line
    out += text;
  }
  std::cout << out;
  return rc;
}

}  // namespace

void add_event_commands(CLI::App& app, Context& ctx) {
  auto* get = app.get_subcommand("get");
  auto* ev =
      get->add_subcommand("events", "list events, oldest first")->alias("event")->alias("ev");
  ev->add_option("-o,--output", ctx.output, "json, yaml or name")
      ->check(CLI::IsMember({"json", "yaml", "name"}));
  ev->add_flag("-A,--all-namespaces", ctx.all_namespaces, "list every namespace");
  ev->add_flag("-w,--watch", ctx.watch, "after the listing, print events as they happen");
  ev->callback([&ctx] { run_command([&] { return get_events(ctx); }); });

  auto* describe_cmd = app.get_subcommand("describe");
  for (auto [word, kind, help] :
       {std::tuple{"pod", DescribeKind::pod, "a pod in detail, with its events"},
        {"node", DescribeKind::node, "a node in detail, with its events"},
        {"deployment", DescribeKind::deployment, "a deployment in detail, with its events"}}) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* cmd = describe_cmd->add_subcommand(word, help);
    cmd->alias(std::string(word) + "s");
    if (kind == DescribeKind::pod) cmd->alias("po");
    if (kind == DescribeKind::node) cmd->alias("no");
    if (kind == DescribeKind::deployment) cmd->alias("deploy");
    cmd->add_option("NAME", *names, "names")->required();
    cmd->callback(
        [&ctx, names, k = kind] { run_command_rc([&] { return describe(ctx, k, *names); }); });
  }
}

}  // namespace podnet::ctl
