#include "service_inspect.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/service_inspect_view.hpp"
#include "core/yaml_out.hpp"
#include "podnet/agent/proxy_snapshot.hpp"
#include "podnet/cluster/endpoints.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/proxy/proxier.hpp"
#include "podnet/sys/netns.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

struct InspectArgs {
  std::string name;
  std::string node;  // empty: every node of the lab
};

// Reads the node's kernel from a thread inside its netns: the proxier's netlink sockets are
// opened there, and podnetctl's own thread never moves.
NodeKernelView read_node(const std::string& lab, const lab::NodePlan& node,
                         const proxy::NodeInfo& info, const cluster::Service& svc,
                         const std::vector<cluster::PortEndpoints>& eps) {
  NodeKernelView v{.node = node.name, .ip = node.ip.str()};
  // What podnetd programs on this node (local endpoints marked as it does).
  auto want = agent::to_proxy_service(svc, eps, node.name);
  if (!want) {
    v.error = "the service has no clusterIP yet";
    return v;
  }
  const std::string path = lab::netns_path(lab::netns_node(lab, node.name));
  auto ns = sys::Netns::open(path);
  if (!ns) {
    v.error = ns.error().context("open node netns " + path).message;
    return v;
  }
  auto got = sys::run_in(*ns, [&]() -> Result<proxy::ServiceInspection> {
    auto p = PODNET_TRY(proxy::Proxier::open());
    return p.inspect(info, *want);
  });
  if (!got) {
    v.error = got.error().message;
    return v;
  }
  v.elements = std::move(got->elements);
  v.missing = std::move(got->missing);
  v.chains = std::move(got->chains);
  v.conntrack = std::move(got->conntrack);
  return v;
}

Result<int> inspect_service(const Context& ctx, const InspectArgs& a) {
  if (!ctx.output.empty() && ctx.output != "json" && ctx.output != "yaml")
    usage_or(Result<>(fail(fmt::format("-o: \"{}\" is not one of: json, yaml", ctx.output))));
  const auto ns = usage_or(ctx.namespace_arg());
  auto state = PODNET_TRY(lab::require_state(ctx.lab));
  std::vector<lab::NodePlan> nodes = state.nodes;
  if (!a.node.empty()) {
    const auto* n = state.find_node(a.node);
    if (!n)
      usage_or(
          Result<>(fail(fmt::format("--node: lab \"{}\" has no node \"{}\"", ctx.lab, a.node))));
    nodes = {*n};
  }
  // The store first: for an etcd lab it moves this thread into <lab>-ext; per-node reads run
  // on their own threads in each node's netns.
  auto access = PODNET_TRY(open_services(ctx));
  auto stored = PODNET_TRY(access.services->get(ns, a.name));
  if (!stored) {
    std::cerr << not_found_line("services", a.name);
    return exit_failure;
  }
  const auto& svc = stored->service;
  const auto config = PODNET_TRY(svcstore::read_config(*access.store));
  const proxy::NodeInfo info{.cluster_cidr = config.clusterCIDR,
                             .service_cidr = config.serviceCIDR};
  const auto eps = cluster::compute_endpoints(svc, PODNET_TRY(list_pods(*access.store, ns)));

  std::vector<NodeKernelView> views;
  for (const auto& n : nodes) views.push_back(read_node(ctx.lab, n, info, svc, eps));
  const std::string cip = svc.clusterIP ? svc.clusterIP->str() : "<none>";
  std::vector<std::string> external;
  for (const auto& ip : svc.externalIPs) external.push_back(ip.str());
  if (ctx.output == "json")
    std::cout << inspect_service_json(ns, a.name, cip, views, external).dump(2) << "\n";
  else if (ctx.output == "yaml")
    std::cout << to_yaml(inspect_service_json(ns, a.name, cip, views, external));
  else
    std::cout << inspect_service_text(ns, a.name, cip, views, external);
  return inspect_exit_code(views);
}

}  // namespace

void add_inspect_service_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<InspectArgs>();
  auto* cmd = app.get_subcommand("inspect")
                  ->add_subcommand("service",
                                   "what each node's kernel holds for a service: map "
                                   "elements, chains, conntrack; MISSING elements")
                  ->alias("svc");
  cmd->add_option("NAME", args->name, "service name")->required();
  cmd->add_option("--node", args->node, "only this node (default: every node)");
  cmd->add_option("-o,--output", ctx.output, "output format: json or yaml");
  cmd->callback([&ctx, args] { run_command_rc([&] { return inspect_service(ctx, *args); }); });
}

}  // namespace podnet::ctl
