// podnetctl trace FROM TO [--port P] [--proto tcp|udp|icmp] [-o json]: the path one packet
// takes, predicted from the kernel of every namespace it crosses (src/trace). The store and the
// lab only name things: which netns a pod is in, which node holds which subnet and address.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/trace/kernel_facts.hpp"
#include "podnet/trace/report.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "trace_resolve.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

Result<int> trace_cmd(const Context& ctx, const TraceArgs& a) {
  if (!ctx.output.empty() && ctx.output != "json")
    usage_or(Result<>(fail(fmt::format("-o: \"{}\" is not one of: json", ctx.output))));
  auto proto = usage_or(parse_trace_proto(a));
  const auto ns = usage_or(ctx.namespace_arg());
  auto state = PODNET_TRY(lab::require_state(ctx.lab));
  auto access = PODNET_TRY(open_services(ctx));
  auto world = PODNET_TRY(read_world(ctx.lab, state, *access.store, *access.services));

  auto from = usage_or(resolve_endpoint(world, "FROM", a.from, ns, true));
  auto to = usage_or(resolve_endpoint(world, "TO", a.to, ns, false));
  auto port = usage_or(pick_port(world, a, to, proto));
  if (!to.ip) usage_or(Result<>(fail(fmt::format("TO: \"{}\" has no address", a.to))));

  trace::TraceQuery q{.from_netns = from.netns,
                      .packet = {.dst = *to.ip,
                                 .src = from.kind == "pod" ? from.ip : std::nullopt,
                                 .proto = proto,
                                 .port = port}};
  if (from.kind == "ip") q.packet.src = from.ip;
  trace::Facts facts{.cluster = world.cluster};
  trace::KernelReader reader(world.reader);
  auto path = PODNET_TRY(trace::predict(q, facts, reader));

  const trace::TraceHeader h{from, to, proto, port};
  if (ctx.output == "json") {
    nlohmann::json j{
        {"from", trace::endpoint_json(from)},
        {"to", trace::endpoint_json(to)},
        {"protocol", std::string(trace::to_string(proto))},
        {"port", proto == trace::Proto::icmp ? nlohmann::json(nullptr) : nlohmann::json(port)},
        {"predicted", trace::predicted_json(path)}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << trace::predicted_text(h, path);
  }
  return path.verdict.delivered ? 0 : exit_failure;
}

}  // namespace

void add_trace_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<TraceArgs>();
  auto* cmd = app.add_subcommand(
      "trace", "the path of one packet FROM -> TO, hop by hop from the kernel of each namespace");
  cmd->add_option("FROM", args->from, "pod name (-n), node name, IP address or ext")->required();
  cmd->add_option("TO", args->to, "pod name (-n), node name, IP address, svc/NAME or ext")
      ->required();
  cmd->add_option("--port", args->port, "TCP/UDP destination port (svc/NAME: which of its ports)");
  cmd->add_option("--proto", args->proto,
                  "tcp, udp or icmp (default: tcp with --port or svc/NAME, else icmp)");
  cmd->add_option("-o,--output", ctx.output, "output format: json");
  cmd->callback([&ctx, args] { run_command_rc([&] { return trace_cmd(ctx, *args); }); });
}

}  // namespace podnet::ctl
