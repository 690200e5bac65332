// podnetctl graph [-o svg|dot] [FILE]: a picture of the cluster as it is now (graph_dot.hpp says
// what it shows). The objects come from the store; the outside host from the lab, when there is
// one.
#include <unistd.h>

#include "commands.hpp"
#include "core/graph_dot.hpp"
#include "core/graph_render.hpp"
#include "podnet/common/files.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state_file.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {

namespace {

struct GraphArgs {
  std::string output = "svg";  // CLI11 checks it (bad value: exit 2, one line)
  std::string file;            // empty: stdout
};

Result<ClusterPicture> read_picture(const Context& ctx) {
  ClusterPicture pic;
  pic.title = ctx.store_url.empty() ? "lab " + ctx.lab : ctx.store_url;
  if (ctx.store_url.empty()) {
    auto state = PODNET_TRY(lab::require_state(ctx.lab));
    pic.title += " (" + lab::wiring_label(state.spec) + ")";
    if (state.spec.mode == cluster::PodMode::bridge) pic.pod_bridge = cluster::kPodBridge;
    pic.outside = OutsideHost{.name = lab::netns_ext(ctx.lab),
                              .underlay = std::string(lab::gateway_ip),
                              .loopback = std::string(lab::ext_lo_ip)};
  }
  auto access = PODNET_TRY(open_services(ctx));
  pic.config = PODNET_TRY(svcstore::read_config(*access.store));
  pic.nodes = lab::parse_nodes(PODNET_TRY(access.store->list(cluster::nodes_prefix)));
  pic.pods = PODNET_TRY(list_pods(*access.store, ""));
  pic.services = PODNET_TRY(access.services->list(""));
  return pic;
}

Result<> graph(const Context& ctx, const GraphArgs& a) {
  const auto dot = cluster_dot(PODNET_TRY(read_picture(ctx)));
  const std::string text = a.output == "dot" ? dot : PODNET_TRY(render_svg(dot));
  if (a.file.empty()) return write_all(STDOUT_FILENO, text);
  auto r = write_file_atomic(a.file, text, false);
  if (!r) return fail(r.error().context("graph: write " + a.file));
  return {};
}

}  // namespace

void add_graph_commands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand(
      "graph", "draw the cluster: nodes, pods, links, services, the outside host (SVG or DOT)");
  cmd->add_option("-o,--output", args->output, "svg (default) or dot")
      ->check(CLI::IsMember({"svg", "dot"}));
  cmd->add_option("FILE", args->file, "write here instead of stdout");
  cmd->callback([&ctx, args] { run_command([&] { return graph(ctx, *args); }); });
}

}  // namespace podnet::ctl
