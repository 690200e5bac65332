#include "node_inspect.hpp"

#include <ctime>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/node_inspect_view.hpp"
#include "core/yaml_out.hpp"
#include "pod_wiring.hpp"
#include "podnet/agent/masq_rules.hpp"
#include "podnet/agent/peers.hpp"
#include "podnet/agent/proxy_snapshot.hpp"
#include "podnet/cluster/endpoints.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/lab/plan.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/nft/nft_context.hpp"
#include "podnet/proxy/proxier.hpp"
#include "podnet/routes/manager.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"
#include "podnetd_client.hpp"
#include "run.hpp"
#include "service_access.hpp"
#include "workload_store.hpp"

namespace podnet::ctl {
namespace {

using namespace std::chrono_literals;

struct InspectNodeArgs {
  std::string name;
  std::string podnetd = "127.0.0.1:9402";  // podnetd's --listen default, inside the node netns
};

// What the store says about the cluster and this node.
struct StoreFacts {
  cluster::ClusterConfig config;
  agent::NodeEntries nodes;
  cluster::Node self;
  std::vector<cluster::Service> services;
  std::vector<cluster::Pod> pods;
};

// The underlay as podnetd finds it: the link holding the node's internal IP.
Result<routes::Self> read_self(sys::Netlink& nl, const cluster::Node& n, const sys::Mac& vtep_mac,
                               const std::vector<sys::LinkInfo>& links, std::string& described) {
  for (const auto& l : links) {
    auto addrs = PODNET_TRY(nl.list_addresses(l.index, n.internalIP.family()));
    for (const auto& a : addrs)
      if (a.address() == n.internalIP) {
        described = fmt::format("{} (ifindex {}, mtu {}, {})", l.name, l.index, l.mtu, a.str());
        return routes::Self{.name = n.name,
                            .internal_ip = n.internalIP,
                            .pod_cidr = n.podCIDR,
                            .underlay_ifindex = l.index,
                            .underlay_mtu = l.mtu,
                            .underlay_addrs = addrs,
                            .vtep_mac = vtep_mac};
      }
  }
  return fail(fmt::format("no interface holds the node's address {}", n.internalIP.str()));
}

routes::Backend to_routes(cluster::BackendType b) {
  return b == cluster::BackendType::vxlan ? routes::Backend::vxlan : routes::Backend::host_gw;
}

// Peers, VTEP: the route plan fed with the store's nodes, matched against the kernel.
void inspect_routes(const sys::Netns& ns, const StoreFacts& sf, NodeInspection& out) {
  auto nl = sys::Netlink::open_in(ns);
  if (!nl) {
    out.error = nl.error().context("netlink in " + ns.path()).message;
    return;
  }
  auto links = nl->list_links();
  if (!links) {
    out.error = links.error().context("list links in " + ns.path()).message;
    return;
  }
  LinkNames names;
  for (const auto& l : *links) names[l.index] = l.name;
  const auto mac = sys::Mac::parse(sf.self.vtepMAC);
  auto me = read_self(*nl, sf.self, mac.value_or(sys::Mac{}), *links, out.underlay);
  if (!me) {
    out.error = me.error().message;
    return;
  }
  auto ps = agent::peers_from_nodes(sf.nodes, *me, sf.config);
  for (const auto& s : ps.skipped) out.notes.push_back("skipped " + s);
  for (const auto& s : ps.refused) out.notes.push_back("refused " + s);
  auto w = routes::plan(*me, ps.peers, to_routes(sf.config.backend.type),
                        {.vni = sf.config.backend.vni,
                         .port = sf.config.backend.port,
                         .direct_routing = sf.config.backend.directRouting});
  if (!w) {
    out.error = "route plan: " + w.error().message;
    return;
  }
  routes::RouteManager rm(*nl, &ns);
  auto cur = rm.read_current(*w);
  if (!cur) {
    out.error = cur.error().context("read routes in " + ns.path()).message;
    return;
  }
  out.match = match_node(*w, ps.peers, *cur, names);
  // Another podnet VTEP (an older VNI, vxlan before a switch to host-gw) is stale: podnetd
  // deletes it, and its entries with it.
  for (const auto& l : *links)
    if (l.kind == "vxlan" && l.name.starts_with("podnet.") && (!w->vtep || l.name != w->vtep->name))
      out.match.stale.push_back({.kind = "vtep",
                                 .state = EntryState::stale,
                                 .expected = "",
                                 .actual = l.name + " vxlan"});

  if (!w->vtep) return;
  out.vtep_name = w->vtep->name;
  if (auto li = nl->link_info(w->vtep->name)) {
    out.vtep.exists = true;
    out.vtep.kind = li->kind;
    out.vtep.mac = li->mac;
    out.vtep.mtu = li->mtu;
    out.vtep.up = li->up;
    if (auto a = nl->list_addresses(li->index, net::Family::v4)) out.vtep.addrs = *a;
    if (li->kind == "vxlan")
      if (auto attrs = sys::run_in(ns, [&] { return routes::probe_vxlan(w->vtep->name); })) {
        out.vtep.vni = attrs->vni;
        out.vtep.port = attrs->port;
        out.vtep.dev = attrs->dev;
        out.vtep.local = attrs->local;
      }
  }
  out.vtep_rows = match_vtep(*w->vtep, *w->vtep_address, out.vtep, names);
}

void inspect_masquerade(const sys::Netns& ns, const StoreFacts& sf, NodeInspection& out) {
  const std::string fam = sf.self.podCIDR.is_v4() ? "ip" : "ip6";
  out.masq_table = fam + " " + agent::kMasqTable;
  auto listed = sys::run_in(ns, [&]() -> Result<std::string> {
    auto nft = PODNET_TRY(nft::NftContext::create());
    return nft.run(fmt::format("list table {}", out.masq_table));
  });
  // A missing table is shown as every rule missing; other failures as unreadable.
  if (!listed && listed.error().message.find("No such file") == std::string::npos) {
    out.masq_error = listed.error().message;
    return;
  }
  out.masq_rows = match_rules(agent::masq_ruleset(sf.self.podCIDR, sf.config.clusterCIDR),
                              listed ? *listed : std::string());
}

void inspect_services(const sys::Netns& ns, const StoreFacts& sf, NodeInspection& out) {
  const proxy::NodeInfo info{.cluster_cidr = sf.config.clusterCIDR,
                             .service_cidr = sf.config.serviceCIDR};
  std::vector<proxy::Service> wanted;
  for (const auto& s : sf.services)
    if (auto v = agent::to_proxy_service(s, cluster::compute_endpoints(s, sf.pods), sf.self.name))
      wanted.push_back(std::move(*v));
  auto& sv = out.services;
  sv.services = wanted.size();
  for (const auto& s : wanted) {
    sv.ports += s.ports.size();
    sv.endpoints += agent::endpoint_count(s);
  }
  constexpr size_t kMaxReadBack = 100;
  auto r = sys::run_in(ns, [&]() -> Result<> {
    auto p = PODNET_TRY(proxy::Proxier::open());
    for (const auto& s : wanted) {
      if (sv.read_back == kMaxReadBack) break;
      ++sv.read_back;
      auto got = PODNET_TRY(p.inspect(info, s));
      sv.elements += got.elements.size();
      for (auto& m : got.missing)
        sv.missing.push_back({.kind = "svc",
                              .state = EntryState::missing,
                              .expected = fmt::format("{}/{} {}", s.ns, s.name, m),
                              .actual = ""});
    }
    return {};
  });
  if (!r) sv.error = r.error().message;
}

void ask_podnetd(const sys::Netns& ns, const agent::ListenAddr& addr, NodeInspection& out) {
  auto a = podnetd_get(ns, addr, "/status", 3s);
  if (!a) {
    out.podnetd_error = a.error().message;
    return;
  }
  if (a->status != 200) {
    out.podnetd_error =
        fmt::format("podnetd on {} answered HTTP {} for /status", addr.str(), a->status);
    return;
  }
  auto j = parse_json_bounded(a->body, json_default_max_depth, json_default_max_bytes, "");
  if (!j || !j->is_object()) {
    out.podnetd_error = fmt::format("podnetd on {}: /status is not a JSON object", addr.str());
    return;
  }
  out.podnetd = std::move(*j);
}

Result<StoreFacts> read_store(const Context& ctx, const std::string& name, NodeInspection& out) {
  auto access = PODNET_TRY(open_services(ctx));
  auto& st = *access.store;
  StoreFacts sf;
  sf.config = PODNET_TRY(svcstore::read_config(st));
  auto list = PODNET_TRY(st.list(cluster::nodes_prefix));
  for (auto& kv : list.items) sf.nodes.emplace(kv.key, agent::parse_node_entry(kv.value));
  auto own = sf.nodes.find(cluster::node_key(name));
  if (own == sf.nodes.end())
    return fail(
        fmt::format("nodes \"{}\" not found in the store (podnetd not started there, or "
                    "it left)",
                    name));
  if (!own->second) return fail(own->second.error().context("node entry " + own->first));
  sf.self = *own->second;
  sf.services = PODNET_TRY(access.services->list());
  sf.pods = PODNET_TRY(list_pods(st, ""));

  out.internal_ip = sf.self.internalIP.str();
  out.pod_cidr = sf.self.podCIDR.str();
  out.heartbeat = sf.self.heartbeat;
  out.backend = std::string(cluster::to_string(sf.config.backend.type));
  out.vni = sf.config.backend.vni;
  out.port = sf.config.backend.port;
  out.direct_routing = sf.config.backend.directRouting;
  out.lease_key = cluster::subnet_key(sf.self.podCIDR);
  if (auto kv = PODNET_TRY(st.get(out.lease_key))) {
    out.lease_found = true;
    out.lease_id = kv->lease;
    auto j = parse_json_bounded(kv->value, json_default_max_depth, json_default_max_bytes, "");
    auto l = j ? cluster::lease_from_json(*j) : Result<cluster::SubnetLease>(fail("not JSON"));
    out.lease_holder = l ? l->node : "<unreadable: " + l.error().message + ">";
  }
  return sf;
}

Result<int> inspect_node(const Context& ctx, const InspectNodeArgs& a) {
  if (!ctx.output.empty() && ctx.output != "json" && ctx.output != "yaml")
    usage_or(Result<>(fail(fmt::format("-o: \"{}\" is not one of: json, yaml", ctx.output))));
  const auto listen = usage_or(agent::parse_listen(a.podnetd));
  if (!listen) usage_or(Result<>(fail("--podnetd: give ADDR:PORT")));
  auto state = PODNET_TRY(lab::require_state(ctx.lab));
  if (!state.find_node(a.name)) {
    std::string known;
    for (const auto& n : state.nodes) known += (known.empty() ? "" : ", ") + n.name;
    usage_or(Result<>(fail(
        fmt::format("NAME: lab \"{}\" has no node \"{}\" (it has {})", ctx.lab, a.name, known))));
  }
  NodeInspection out{.node = a.name, .now = int64_t(::time(nullptr))};
  // The store first: for an etcd lab it moves this thread into <lab>-ext; the node's kernel is
  // read through sockets opened in its netns and threads that enter it.
  auto sf = PODNET_TRY(read_store(ctx, a.name, out));
  const std::string path = lab::netns_path(lab::netns_node(ctx.lab, a.name));
  auto ns = sys::Netns::open(path);
  if (!ns) return fail(ns.error().context("open node netns " + path));
  size_t pods = 0;
  for (const auto& p : sf.pods) pods += p.node == a.name && p.podIP ? 1 : 0;
  out.pods = read_pod_wiring(*ns, lab::lab_paths(ctx.lab).conflist(a.name), sf.self.podCIDR, pods);
  inspect_routes(*ns, sf, out);
  inspect_masquerade(*ns, sf, out);
  inspect_services(*ns, sf, out);
  ask_podnetd(*ns, *listen, out);

  if (ctx.output == "json")
    std::cout << inspect_node_json(out).dump(2) << "\n";
  else if (ctx.output == "yaml")
    std::cout << to_yaml(inspect_node_json(out));
  else
    std::cout << inspect_node_text(out);
  if (!out.podnetd) std::cerr << "error: " << out.podnetd_error << "\n";
  return inspect_node_exit_code(out);
}

}  // namespace

void add_inspect_node_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<InspectNodeArgs>();
  auto* cmd = app.get_subcommand("inspect")->add_subcommand(
      "node",
      "a node as podnet wires it: lease, backend, VTEP, each peer's "
      "routes/FDB/neighbours against the plan (present, missing, "
      "different, stale), masquerade, services, podnetd's health");
  cmd->add_option("NAME", args->name, "node name")->required();
  cmd->add_option("-o,--output", ctx.output, "output format: json or yaml");
  cmd->add_option("--podnetd", args->podnetd, "podnetd's --listen address inside the node's netns")
      ->capture_default_str();
  cmd->callback([&ctx, args] { run_command_rc([&] { return inspect_node(ctx, *args); }); });
}

}  // namespace podnet::ctl
