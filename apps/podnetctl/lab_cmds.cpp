// podnetctl lab up|status|down, and the lab's own processes (hidden): lab kubelet, lab controller.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "podnet/lab/lab.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/lab/workload.hpp"
#include "run.hpp"

namespace podnet::ctl {
namespace {

struct UpArgs {
  std::string nodes = "3";
  std::string store = "sqlite";
  std::string backend = "vxlan";
  bool direct_routing = false;
  std::string mode = "ptp";
  int timeout = 30;
};

Result<> lab_up(const Context& ctx, const UpArgs& a) {
  lab::UpOptions opts;
  // A bad --nodes/--store/--backend/--mode is a usage error: exit 2, one line naming it.
  opts.spec =
      usage_or(lab::make_spec(ctx.lab, a.nodes, a.store, a.backend, a.direct_routing, a.mode));
  opts.ready_timeout = std::chrono::seconds(a.timeout);
  PODNET_TRY_VOID(lab::lab_up(opts, std::cout));
  return {};
}

// Runs a lab process body and exits with its code.
void run_lab_process(const Context& ctx, const std::function<int(const lab::LabState&)>& body) {
  auto s = lab::require_state(ctx.lab);
  if (!s) {
    std::cerr << "error: " << s.error().message << "\n";
    throw CLI::RuntimeError(1);
  }
  if (int rc = body(*s); rc != 0) throw CLI::RuntimeError(rc);
}

}  // namespace

void add_lab_commands(CLI::App& app, Context& ctx) {
  CLI::App* lab = app.get_subcommand("lab");

  auto up_args = std::make_shared<UpArgs>();
  auto* up = lab->add_subcommand("up", "create the lab: switch, nodes, store, podnetd, kubelets");
  up->add_option("--nodes", up_args->nodes, "number of nodes, 1..64")->capture_default_str();
  up->add_option("--store", up_args->store, "sqlite or etcd")->capture_default_str();
  up->add_option("--backend", up_args->backend, "vxlan or host-gw")->capture_default_str();
  up->add_flag("--direct-routing", up_args->direct_routing,
               "vxlan: nodes on one subnet route to each other directly (flannel's DirectRouting)");
  up->add_option("--mode", up_args->mode,
                 "pod wiring on every node: ptp (routed veths) or bridge (a node bridge)")
      ->capture_default_str();
  up->add_option("--timeout", up_args->timeout, "seconds to wait for the nodes to be ready")
      ->capture_default_str();
  up->callback([&ctx, up_args] { run_command([&] { return lab_up(ctx, *up_args); }); });

  lab->add_subcommand("status", "check the lab's namespaces, processes and nodes")
      ->callback([&ctx] {
        run_command([&]() -> Result<> {
          auto r = PODNET_TRY(lab::lab_status(ctx.lab));
          std::cout << lab::format_status(r);
          if (!r.ok()) return fail("lab \"" + ctx.lab + "\" is not healthy");
          return {};
        });
      });

  lab->add_subcommand("down", "remove everything of the lab")->callback([&ctx] {
    run_command([&] { return lab::lab_down(ctx.lab, std::cout); });
  });

  // The lab's own daemons, started by `lab up` inside the lab's namespaces: hidden (no group).
  auto node = std::make_shared<std::string>();
  auto* kubelet = lab->add_subcommand("kubelet", "the lab's kubelet of one node")->group("");
  kubelet->add_option("--node", *node, "node name")->required();
  kubelet->callback([&ctx, node] {
    run_lab_process(ctx, [&](const lab::LabState& s) {
      if (!s.find_node(*node)) {
        std::cerr << "error: unknown node \"" << *node << "\"\n";
        return 1;
      }
      return lab::run_kubelet(s, *node);
    });
  });
  lab->add_subcommand("controller", "the lab's deployment controller")->group("")->callback([&ctx] {
    run_lab_process(ctx, [](const lab::LabState& s) { return lab::run_controller(s); });
  });
}

}  // namespace podnet::ctl
