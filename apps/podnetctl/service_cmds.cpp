// podnetctl's Service commands: create service clusterip|nodeport, expose deployment,
// get services|endpoints, describe service, delete service.
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/listing.hpp"
#include "core/manifest.hpp"
#include "core/service_args.hpp"
#include "core/service_view.hpp"
#include "podnet/cluster/endpoints.hpp"
#include "podnet/events/recorder.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "service_inspect.hpp"
#include "watch.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

// Creates `s` unless a Service of that name exists (kubectl's AlreadyExists line, exit 1).
Result<int> create_service(svcstore::ServiceStore& services, cluster::Service s,
                           std::string_view verb) {
  if (PODNET_TRY(services.get(s.ns, s.name))) {
    std::cerr << fmt::format("Error from server (AlreadyExists): services \"{}\" already exists\n",
                             s.name);
    return exit_failure;
  }
  auto created = PODNET_TRY(services.create(std::move(s)));
  std::cout << fmt::format("service/{} {}\n", created.name, verb);
  return 0;
}

Result<int> create_service_cmd(const Context& ctx, CreateServiceArgs a) {
  a.ns = usage_or(ctx.namespace_arg());
  auto s = usage_or(service_from_create(a));
  auto access = PODNET_TRY(open_services(ctx));
  return create_service(*access.services, std::move(s), "created");
}

Result<int> expose_cmd(const Context& ctx, ExposeArgs a) {
  a.ns = usage_or(ctx.namespace_arg());
  auto access = PODNET_TRY(open_services(ctx));
  auto kv = PODNET_TRY(access.store->get(cluster::deployment_key(a.ns, a.deployment)));
  if (!kv) {
    std::cerr << not_found_line("deployments.apps", a.deployment);
    return exit_failure;
  }
  auto d = cluster::deployment_from_json(nlohmann::json::parse(kv->value, nullptr, false));
  if (!d) return fail(fmt::format("deployment \"{}\": {}", a.deployment, d.error().message));
  auto s = usage_or(service_from_expose(a, *d));
  return create_service(*access.services, std::move(s), "exposed");
}

// The named Services (all when no names); missing ones are reported kubectl's way and make
// the exit status 1.
struct Selected {
  std::vector<cluster::Service> services;
  int rc = 0;
  store::Revision revision = 0;  // of the listing: `get -w` follows after it
};
Result<Selected> select_services(const Context& ctx, svcstore::ServiceStore& services,
                                 const std::string& ns) {
  std::vector<std::string> bad;
  Selected out;
  auto all = PODNET_TRY(services.list(ns, &bad, &out.revision));
  for (const auto& b : bad) std::cerr << "warning: " << b << "\n";
  if (ctx.names.empty()) {
    out.services = std::move(all);
    return out;
  }
  for (const auto& want : ctx.names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.name == want; });
    if (it == all.end()) {
      std::cerr << not_found_line("services", want);
      out.rc = exit_failure;
    } else {
      out.services.push_back(*it);
    }
  }
  return out;
}

nlohmann::json service_object(const cluster::Service& s) {
  return with_type(cluster::to_json(s), "v1", "Service");
}

Result<int> get_services(const Context& ctx) {
  const auto fmt = usage_or(parse_list_format(ctx.output));
  const auto ns = usage_or(listing_namespace(ctx));
  std::optional<StopSignals> stop;
  if (ctx.watch) stop.emplace();  // before the store's threads exist
  auto access = PODNET_TRY(open_services(ctx));
  const std::string prefix = ns.empty() ? std::string(cluster::services_prefix)
                                        : fmt::format("{}{}/", cluster::services_prefix, ns);
  auto sel = PODNET_TRY(select_services(ctx, *access.services, ns));
  const bool table = fmt == ListFormat::table || fmt == ListFormat::wide;
  const ServiceTableOptions opt{.wide = fmt == ListFormat::wide, .namespaces = ns.empty()};
  if (table) {
    if (sel.services.empty()) {
      if (sel.rc == 0 && !ctx.watch) say_none_found(ns);
    } else {
      std::cout << services_table(sel.services, std::time(nullptr), opt);
    }
  } else {
    std::vector<nlohmann::json> items;
    items.reserve(sel.services.size());
    for (const auto& s : sel.services) items.push_back(service_object(s));
    std::cout << format_objects(std::move(items), fmt, "service", ctx.names.size() == 1);
  }
  std::cout << std::flush;
  if (!ctx.watch || sel.rc != 0) return sel.rc;  // kubectl: a missing NAME ends the watch
  Followed<cluster::Service> followed(&cluster::service_from_json, ctx.names);
  for (const auto& s : sel.services) followed.remember(cluster::service_key(s.ns, s.name), s);
  PODNET_TRY_VOID(follow(*access.store, *stop, prefix, sel.revision, [&](const store::Event& ev) {
    bool deleted = false;  // a deleted Service prints its last row, as kubectl's watch does
    auto svc = followed.apply(ev, deleted);
    if (!svc) return;
    if (table)
      std::cout << without_header(services_table({*svc}, std::time(nullptr), opt));
    else
      std::cout << format_objects({service_object(*svc)}, fmt, "service", true);
    std::cout << std::flush;
  }));
  return sel.rc;
}

Result<int> get_endpoints(const Context& ctx) {
  const auto fmt = usage_or(parse_list_format(ctx.output, false));
  const auto ns = usage_or(listing_namespace(ctx));
  auto access = PODNET_TRY(open_services(ctx));
  auto sel = PODNET_TRY(select_services(ctx, *access.services, ns));
  const auto pods = PODNET_TRY(list_pods(*access.store, ns));
  std::vector<EndpointsRow> rows;
  rows.reserve(sel.services.size());
  for (const auto& s : sel.services) rows.push_back({&s, cluster::compute_endpoints(s, pods)});
  if (fmt == ListFormat::table) {
    if (rows.empty()) {
      if (sel.rc == 0) say_none_found(ns);
      return sel.rc;
    }
    std::cout << endpoints_table(rows, std::time(nullptr), ns.empty());
    return sel.rc;
  }
  std::vector<nlohmann::json> items;
  for (const auto& r : rows) items.push_back(endpoints_json(*r.service, r.ports));
  std::cout << format_objects(std::move(items), fmt, "endpoints", ctx.names.size() == 1);
  return sel.rc;
}

Result<int> describe_services(const Context& ctx) {
  const auto ns = usage_or(ctx.namespace_arg());
  auto access = PODNET_TRY(open_services(ctx));
  auto sel = PODNET_TRY(select_services(ctx, *access.services, ns));
  const auto pods = PODNET_TRY(list_pods(*access.store, ns));
  const auto listed = PODNET_TRY(events::list_events(*access.store, ns));
  const int64_t now = std::time(nullptr);
  std::string out;
  for (const auto& s : sel.services) {
    if (!out.empty()) out += "\n\n";  // kubectl separates objects by a blank line
    out += describe_service(s, cluster::compute_endpoints(s, pods),
                            cluster::events_about(listed, cluster::service_ref(s.ns, s.name)), now);
  }
  std::cout << out;
  return sel.rc;
}

Result<int> delete_services(const Context& ctx, const std::vector<std::string>& names) {
  const auto ns = usage_or(ctx.namespace_arg());
  auto access = PODNET_TRY(open_services(ctx));
  int rc = 0;
  for (const auto& name : names) {
    if (PODNET_TRY(access.services->remove(ns, name))) {
      std::cout << fmt::format("service \"{}\" deleted\n", name) << std::flush;
    } else {
      std::cerr << not_found_line("services", name);
      rc = exit_failure;
    }
  }
  return rc;
}

void add_create_service(CLI::App* parent, const char* type_name, cluster::ServiceType type,
                        Context& ctx) {
  auto a = std::make_shared<CreateServiceArgs>();
  a->type = type;
  auto* cmd = parent->add_subcommand(
      type_name, fmt::format("create a {} service (selector app=NAME)", to_string(type)));
  cmd->add_option("NAME", a->name, "service name")->required();
  cmd->add_option("--tcp", a->tcp, "PORT[:TARGET], repeatable")->allow_extra_args(false);
  cmd->add_option("--udp", a->udp, "PORT[:TARGET], repeatable")->allow_extra_args(false);
  if (type == cluster::ServiceType::NodePort)
    cmd->add_option("--node-port", a->node_port, "the nodePort (default: allocated)");
  cmd->callback([&ctx, a] { run_command_rc([&] { return create_service_cmd(ctx, *a); }); });
}

}  // namespace

void add_service_commands(CLI::App& app, Context& ctx) {
  add_inspect_service_command(app, ctx);
  auto* create = app.get_subcommand("create")
                     ->add_subcommand("service", "create a service")
                     ->alias("svc")
                     ->require_subcommand(1);
  add_create_service(create, "clusterip", cluster::ServiceType::ClusterIP, ctx);
  add_create_service(create, "nodeport", cluster::ServiceType::NodePort, ctx);

  auto ex = std::make_shared<ExposeArgs>();
  auto ex_port = std::make_shared<int64_t>(0);
  auto* expose = app.get_subcommand("expose")->add_subcommand(
      "deployment", "make a service with the deployment's selector");
  expose->alias("deploy");
  expose->add_option("NAME", ex->deployment, "the deployment")->required();
  auto* port_opt = expose->add_option("--port", *ex_port, "service port (default: the pods')");
  expose->add_option("--target-port", ex->target_port, "container port number or name");
  expose->add_option("--type", ex->type, "ClusterIP or NodePort")
      ->check(CLI::IsMember({"ClusterIP", "NodePort"}));
  expose->add_option("--protocol", ex->protocol, "TCP, UDP or SCTP")
      ->check(CLI::IsMember({"TCP", "UDP", "SCTP"}));
  expose->add_option("--name", ex->name, "service name (default: the deployment's)");
  expose->add_option("--external-ip", ex->external_ip,
                     "external IP address(es) the nodes also serve the service on (A[,B...])");
  expose->callback([&ctx, ex, ex_port, port_opt] {
    if (port_opt->count()) ex->port = *ex_port;
    run_command_rc([&] { return expose_cmd(ctx, *ex); });
  });

  auto* get = app.get_subcommand("get");
  auto* svc = get->add_subcommand("services", "list services")->alias("service")->alias("svc");
  svc->add_option("-o,--output", ctx.output, "wide, json, yaml or name")
      ->check(CLI::IsMember({"wide", "json", "yaml", "name"}));
  svc->add_flag("-A,--all-namespaces", ctx.all_namespaces, "list every namespace");
  svc->add_option("NAME", ctx.names, "only these services");
  svc->add_flag("-w,--watch", ctx.watch, "after the listing, a line per change until Ctrl-C");
  svc->callback([&ctx] { run_command_rc([&] { return get_services(ctx); }); });

  auto* ep = get->add_subcommand("endpoints", "list the endpoints of services")->alias("ep");
  ep->add_option("-o,--output", ctx.output, "json, yaml or name")
      ->check(CLI::IsMember({"json", "yaml", "name"}));
  ep->add_flag("-A,--all-namespaces", ctx.all_namespaces, "list every namespace");
  ep->add_option("NAME", ctx.names, "only these services' endpoints");
  ep->callback([&ctx] { run_command_rc([&] { return get_endpoints(ctx); }); });

  auto* describe = app.get_subcommand("describe")
                       ->add_subcommand("service", "a service in detail")
                       ->alias("services")
                       ->alias("svc");
  describe->add_option("NAME", ctx.names, "service names")->required();
  describe->callback([&ctx] { run_command_rc([&] { return describe_services(ctx); }); });

  auto del_names = std::make_shared<std::vector<std::string>>();
  auto* del = app.get_subcommand("delete")
                  ->add_subcommand("service", "delete services and release their addresses")
                  ->alias("services")
                  ->alias("svc");
  del->add_option("NAME", *del_names, "service names")->required();
  del->callback(
      [&ctx, del_names] { run_command_rc([&] { return delete_services(ctx, *del_names); }); });
}

}  // namespace podnet::ctl
