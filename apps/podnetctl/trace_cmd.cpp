// podnetctl trace FROM TO [--port P] [--proto tcp|udp|icmp] [-o json]: the path one packet
// takes, predicted from the kernel of every namespace it crosses (src/trace), then one real
// packet sent with nftables tracing in those namespaces (src/probe). The store and the lab only
// name things: which netns a pod is in, which node holds which subnet and address.
#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "core/yaml_out.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/probe/probe.hpp"
#include "podnet/trace/kernel_facts.hpp"
#include "podnet/trace/report.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "trace_resolve.hpp"

namespace podnet::ctl {
namespace {

// The probe of the traced packet. It watches the namespaces the prediction crosses, in order,
// then those the real packet may reach instead: the pods DNAT may pick (the kernel may pick
// another endpoint than the one the prediction follows), every node and ext (a broken path
// sends the packet elsewhere).
probe::ProbeSpec probe_spec(const TraceWorld& w, const trace::Endpoint& from,
                            const trace::Endpoint& to, trace::Proto proto, uint16_t port,
                            const trace::Path& path, const trace::Facts& facts) {
  auto label = [&](const std::string& netns) {
    auto it = w.reader.namespaces.find(netns);
    return it == w.reader.namespaces.end() ? netns : it->second.label;
  };
  probe::ProbeSpec s;
  s.source = {label(from.netns), from.netns};
  if (from.kind == "ip" && from.ip) s.source_address = from.ip->str();
  s.destination = to.ip->str();
  s.port = port;
  s.protocol = proto == trace::Proto::tcp   ? probe::Protocol::tcp
               : proto == trace::Proto::udp ? probe::Protocol::udp
                                            : probe::Protocol::icmp;
  std::vector<std::string> order;
  auto add = [&](const std::string& netns) {
    if (!netns.empty() && std::find(order.begin(), order.end(), netns) == order.end())
      order.push_back(netns);
  };
  for (const auto& h : path.hops) add(h.netns);
  add(to.netns);
  for (const auto& [key, nat] : facts.nat)
    for (const auto& ep : nat.endpoints)
      if (auto it = w.cluster.pods.find(ep.ip); it != w.cluster.pods.end()) add(it->second);
  for (const auto& n : w.state.nodes) add(lab::netns_node(w.lab, n.name));
  add(lab::netns_ext(w.lab));
  for (const auto& n : order) s.namespaces.push_back({label(n), n});
  return s;
}

Result<int> trace_cmd(const Context& ctx, const TraceArgs& a) {
  if (!ctx.output.empty() && ctx.output != "json" && ctx.output != "yaml")
    usage_or(Result<>(fail(fmt::format("-o: \"{}\" is not one of: json, yaml", ctx.output))));
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

  std::optional<Result<probe::ProbeReport>> probed;
  if (!a.no_probe) probed = probe::run_probe(probe_spec(world, from, to, proto, port, path, facts));

  const trace::TraceHeader h{from, to, proto, port};
  if (ctx.output == "json" || ctx.output == "yaml") {
    nlohmann::json j{
        {"from", trace::endpoint_json(from)},
        {"to", trace::endpoint_json(to)},
        {"protocol", std::string(trace::to_string(proto))},
        {"port", proto == trace::Proto::icmp ? nlohmann::json(nullptr) : nlohmann::json(port)},
        {"predicted", trace::predicted_json(path)}};
    if (probed && *probed) j["probe"] = probe::to_json(**probed);
    std::cout << (ctx.output == "yaml" ? to_yaml(j) : j.dump(2) + "\n");
  } else {
    std::cout << trace::predicted_text(h, path);
    if (probed && *probed)
      std::cout << "\nPROBE (one real packet, traced by nftables)\n"
                << probe::format_report(**probed);
  }
  if (!probed) return path.verdict.delivered ? 0 : exit_failure;
  if (!*probed) return fail((*probed).error().context("trace: probe"));
  return (*probed)->verdict.delivered ? 0 : exit_failure;
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
  cmd->add_option("-o,--output", ctx.output, "output format: json or yaml");
  cmd->add_flag("--no-probe", args->no_probe,
                "the predicted path only (no packet sent; exit status from the prediction)");
  cmd->callback([&ctx, args] { run_command_rc([&] { return trace_cmd(ctx, *args); }); });
}

}  // namespace podnet::ctl
