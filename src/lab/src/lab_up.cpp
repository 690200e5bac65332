// lab up: every step prints its name and "ok"; lab.json is saved after each step that made
// something, so a crash half-way still leaves `lab down` what it needs.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "lab_internal.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/files.hpp"
#include "podnet/lab/binaries.hpp"
#include "podnet/lab/lab.hpp"
#include "podnet/lab/lab_lock.hpp"
#include "podnet/lab/lab_store.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/nodes_view.hpp"
#include "podnet/lab/processes.hpp"
#include "podnet/lab/state_file.hpp"
#include "podnet/lab/topology.hpp"
#include "podnet/routes/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::lab {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <typename F>
Result<> step(std::ostream& out, std::string_view what, F&& f) {
  out << what << "... " << std::flush;
  Result<> r = f();
  out << (r ? "ok\n" : "FAILED\n") << std::flush;
  return r;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<> make_layout(const LabState& s, const Binaries& bins) {
  const LabPaths p = lab_paths(s.spec.name);
  PODNET_TRY_VOID(make_dirs(p.logs()));
  PODNET_TRY_VOID(make_dirs(p.cni_bin()));
  for (const auto& n : s.nodes) {
    PODNET_TRY_VOID(make_dirs(p.cni_conf_dir(n.name)));
    PODNET_TRY_VOID(make_dirs(p.ipam_dir(n.name)));
    PODNET_TRY_VOID(make_dirs(p.state_dir(n.name)));
  }
  // The kubelet's CNI_PATH: the plugins under the names the conflist uses.
  for (const auto& [name, target] :
       {std::pair{"podnet", bins.podnet}, {"podnet-ipam", bins.podnet_ipam}}) {
    const std::string link = p.cni_bin() + "/" + name;
    if (::symlink(target.c_str(), link.c_str()) != 0) return fail_errno("symlink " + link);
  }
  return save_state(s);
}

Result<> start(LabState& s, LaunchSpec spec) {
  auto rec = PODNET_TRY(launch(spec));
  s.processes.push_back(std::move(rec));
  return save_state(s);
}

// The log itself goes away with the lab when up fails: the error carries its last lines.
std::string log_tail(const ProcessRecord& p) {
  std::string t = tail_file(p.log, 15);
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.empty() ? std::string("it wrote nothing")
                   : fmt::format("the last lines it wrote:\n{}", t);
}

Result<> start_etcd(LabState& s) {
  const LabPaths p = lab_paths(s.spec.name);
  PODNET_TRY_VOID(create_host(s.spec.name, etcd_host(s.spec.name)));
  PODNET_TRY_VOID(make_dirs(p.etcd_data(), 0700));
  const std::string client = fmt::format("http://{}:{}", etcd_ip, etcd_client_port);
  const std::string peer = "http://127.0.0.1:2380";
  // Short heartbeats: a one-member cluster elects itself at once.
  PODNET_TRY_VOID(start(s, {"etcd",
                            "",
                            netns_etcd(s.spec.name),
                            {"etcd",
                             "--name",
                             s.spec.name,
                             "--data-dir",
                             p.etcd_data(),
                             "--listen-client-urls",
                             client,
                             "--advertise-client-urls",
                             client,
                             "--listen-peer-urls",
                             peer,
                             "--initial-advertise-peer-urls",
                             peer,
                             "--initial-cluster",
                             s.spec.name + "=" + peer,
                             "--initial-cluster-state",
                             "new",
                             "--heartbeat-interval",
                             "50",
                             "--election-timeout",
                             "250",
                             // History bounded like the sqlite store's (history=10000): events
                             // and heartbeats rewrite keys all the time.
                             "--auto-compaction-mode",
                             "revision",
                             "--auto-compaction-retention",
                             "10000"},
                            p.log("etcd")}));
  const ProcessRecord etcd = s.processes.back();
  LabState probe = s;
  probe.store_url +=
      probe.store_url.find('?') == std::string::npos ? "?timeout_ms=500" : "&timeout_ms=500";
  const auto deadline = Clock::now() + 20s;
  while (true) {
    auto r = with_lab_store(probe, [](store::Store& st) { return st.get(cluster::config_key); });
    if (r) return {};
    if (!process_alive(etcd)) return fail("etcd exited; " + log_tail(etcd));
    if (Clock::now() > deadline)
      return fail(
          fmt::format("etcd not answering after 20s ({}); {}", r.error().message, log_tail(etcd)));
    std::this_thread::sleep_for(100ms);
  }
}

Result<> write_config(const LabState& s) {
  const std::string cfg = cluster::to_json(lab_cluster_config(s.spec)).dump();
  return with_lab_store(s, [&](store::Store& st) -> Result<> {
    auto r = st.put(cluster::config_key, cfg);
    if (!r) return fail(r.error().context(fmt::format("write {}", cluster::config_key)));
    return {};
  });
}

Result<> start_agents(LabState& s, const Binaries& bins) {
  const LabPaths p = lab_paths(s.spec.name);
  for (const auto& n : s.nodes) {
    std::vector<std::string> argv = {bins.podnetd,
                                     "--node",
                                     n.name,
                                     "--store",
                                     s.store_url,
                                     "--iface",
                                     "eth0",
                                     "--cni-conf-dir",
                                     p.cni_conf_dir(n.name),
                                     "--state-dir",
                                     p.state_dir(n.name),
                                     "--ipam-data-dir",
                                     p.ipam_dir(n.name),
                                     "--backend",
                                     std::string(cluster::to_string(s.spec.backend)),
                                     "--mode",
                                     std::string(cluster::to_string(s.spec.mode))};
    if (s.spec.direct_routing) argv.push_back("--direct-routing");
    PODNET_TRY_VOID(start(
        s, {"podnetd", n.name, netns_node(s.spec.name, n.name), argv, p.log("podnetd-" + n.name)}));
  }
  return {};
}

Result<> start_workloads(LabState& s, const Binaries& bins) {
  const LabPaths p = lab_paths(s.spec.name);
  for (const auto& n : s.nodes)
    PODNET_TRY_VOID(
        start(s, {"kubelet",
                  n.name,
                  netns_node(s.spec.name, n.name),
                  {bins.podnetctl, "--lab", s.spec.name, "lab", "kubelet", "--node", n.name},
                  p.log("kubelet-" + n.name)}));
  return start(s, {"controller",
                   "",
                   netns_ext(s.spec.name),
                   {bins.podnetctl, "--lab", s.spec.name, "lab", "controller"},
                   p.log("controller")});
}

// What `node` still lacks to reach every other node's pods: podnet's route (protocol 80) to
// each other node's podCIDR in its netns; empty when none is missing. A node is written to the
// store before its peers have seen it, so "every node key present" alone would let a test (or
// a user) reach a pod across nodes before the route exists.
std::string missing_peer_route(const LabState& s, const std::string& node,
                               const std::vector<cluster::Node>& nodes) {
  auto ns = sys::Netns::open(netns_path(netns_node(s.spec.name, node)));
  if (!ns) return ns.error().message;
  auto nl = sys::Netlink::open_in(*ns);
  if (!nl) return nl.error().message;
  auto routes = nl->list_routes(net::Family::v4, {.protocol = routes::kRouteProtocol});
  if (!routes) return routes.error().message;
  for (const auto& peer : nodes) {
    if (peer.name == node) continue;
    bool found = false;
    for (const auto& r : *routes) found = found || r.dst == peer.podCIDR;
    if (!found) return fmt::format("no route to {}'s pods {}", peer.name, peer.podCIDR.str());
  }
  return {};
}

// Ready = the node key is in the store, the conflist is written (podnetd does both last) and
// the node routes to every other node's pods.
Result<> wait_ready(const LabState& s, std::chrono::milliseconds timeout) {
  const LabPaths p = lab_paths(s.spec.name);
  return with_lab_store(s, [&](store::Store& st) -> Result<> {
    std::map<std::string, std::string> pending;  // node -> what it still lacks
    for (const auto& n : s.nodes) pending[n.name] = "not checked";
    const auto deadline = Clock::now() + timeout;
    while (true) {
      for (auto it = pending.begin(); it != pending.end();) {
        const auto& node = it->first;
        const ProcessRecord* agent = s.find_process("podnetd", node);
        if (agent && !process_alive(*agent))
          return fail(fmt::format("node {}: podnetd (pid {}) exited before the node was ready; {}",
                                  node, agent->pid, log_tail(*agent)));
        auto kv = st.get(cluster::node_key(node));
        const bool conf = file_exists(p.conflist(node));
        it->second = !kv    ? "store: " + kv.error().message
                     : !*kv ? "no " + cluster::node_key(node) + " in the store"
                     : !conf ? "no " + p.conflist(node)
                             : "";
        ++it;
      }
      // Routes only once every node is in the store: the full set of peers is known then.
      bool all_in_store = true;
      for (const auto& [node, why] : pending) all_in_store = all_in_store && why.empty();
      if (all_in_store) {
        auto list = st.list(cluster::nodes_prefix);
        const auto nodes = list ? parse_nodes(*list) : std::vector<cluster::Node>{};
        for (auto it = pending.begin(); it != pending.end();) {
          it->second = list ? missing_peer_route(s, it->first, nodes) : "store: " + list.error().message;
          it = it->second.empty() ? pending.erase(it) : std::next(it);
        }
      }
      if (pending.empty()) return {};
      if (Clock::now() > deadline) {
        const auto& [node, why] = *pending.begin();
        const ProcessRecord* agent = s.find_process("podnetd", node);
        return fail(fmt::format("node {} not ready after {}s ({}); its podnetd is running, {}",
                                node, timeout.count() / 1000.0, why,
                                agent ? log_tail(*agent) : "?"));
      }
      std::this_thread::sleep_for(50ms);
    }
  });
}

Result<std::string> summary(const LabState& s) {
  return with_lab_store(s, [&](store::Store& st) -> Result<std::string> {
    auto list = PODNET_TRY(st.list(cluster::nodes_prefix));
    return format_nodes(parse_nodes(list), OutputFormat::table, s.spec.backend);
  });
}

Result<> up_steps(LabState& s, const Binaries& bins, const UpOptions& opts, std::ostream& out) {
  const std::string lab = s.spec.name;
  const auto t0 = Clock::now();
  PODNET_TRY_VOID(
      step(out, "creating " + lab_paths(lab).root, [&] { return make_layout(s, bins); }));
  PODNET_TRY_VOID(
      step(out, "creating switch " + netns_switch(lab), [&] { return create_switch(lab); }));
  PODNET_TRY_VOID(step(
      out, fmt::format("creating external host {} ({}, {})", netns_ext(lab), gateway_ip, ext_lo_ip),
      [&] { return create_host(lab, ext_host(lab)); }));
  if (s.spec.store == StoreKind::etcd)
    PODNET_TRY_VOID(step(
        out, fmt::format("starting etcd in {} ({}:{})", netns_etcd(lab), etcd_ip, etcd_client_port),
        [&] { return start_etcd(s); }));
  for (const auto& n : s.nodes)
    PODNET_TRY_VOID(step(out, fmt::format("creating node {} ({})", n.name, n.ip.str()),
                         [&] { return create_host(lab, node_host(lab, n)); }));
  PODNET_TRY_VOID(step(out,
                       fmt::format("writing {} (backend {})", cluster::config_key,
                                   cluster::to_string(s.spec.backend)),
                       [&] { return write_config(s); }));
  const bool bridge = s.spec.mode == cluster::PodMode::bridge;
  PODNET_TRY_VOID(step(
      out,
      fmt::format("starting podnetd on {} nodes{}", s.nodes.size(), bridge ? " (bridge mode)" : ""),
      [&] { return start_agents(s, bins); }));
  PODNET_TRY_VOID(
      step(out, "starting kubelets and the controller", [&] { return start_workloads(s, bins); }));
  PODNET_TRY_VOID(step(out, "waiting for the nodes to be ready",
                       [&] { return wait_ready(s, opts.ready_timeout); }));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  auto table = PODNET_TRY(summary(s));
  out << fmt::format("lab \"{}\" is up: {} nodes ready, {} ms in all, store {}, backend {}\n", lab,
                     s.nodes.size(), ms, s.store_url, wiring_label(s.spec))
      << table << std::flush;
  return {};
}

}  // namespace

Result<LabState> lab_up(const UpOptions& opts, std::ostream& out) {
  auto bins = PODNET_TRY(find_binaries(opts.podnetctl));
  auto state = PODNET_TRY(make_state(opts.spec, static_cast<int64_t>(std::time(nullptr))));
  const std::string& lab = opts.spec.name;
  auto lock = PODNET_TRY(LabLock::acquire());
  std::error_code ec;
  const LabPaths paths = lab_paths(lab);
  bool leftovers = std::filesystem::exists(paths.root, ec);
  for (const auto& n : list_named_netns()) leftovers = leftovers || is_lab_netns(lab, n);
  if (leftovers)
    return fail(
        fmt::format("lab \"{}\" is already up (or left over): run `podnetctl --lab {} lab "
                    "down` first",
                    lab, lab));
  if (auto r = up_steps(state, bins, opts, out); !r) {
    out << "cleaning up after the failure...\n" << std::flush;
    if (auto d = detail::down_locked(lab, out); !d)
      out << "cleanup failed too: " << d.error().message << "\n";
    return fail(r.error());
  }
  return state;
}

}  // namespace podnet::lab
