#include "podnet/lab/plan.hpp"

#include <charconv>

#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"

namespace podnet::lab {

std::string_view to_string(StoreKind k) {
  return k == StoreKind::etcd ? "etcd" : "sqlite";
}

Result<> validate_lab_name(std::string_view name) {
  if (auto r = cluster::validate_dns_label(name, "--lab"); !r) return r;
  // Netns names of the lab are <lab>-<suffix>; keep room for the longest pod names.
  if (name.size() > 32)
    return fail(fmt::format("--lab: \"{}\" is longer than 32 characters", name));
  return {};
}

Result<int> parse_nodes(std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < 1 ||
      n > max_nodes)
    return fail(fmt::format("--nodes: \"{}\" is not a number in 1..{}", text, max_nodes));
  return n;
}

Result<StoreKind> parse_store_kind(std::string_view text) {
  if (text == "sqlite") return StoreKind::sqlite;
  if (text == "etcd") return StoreKind::etcd;
  return fail(fmt::format("--store: \"{}\" is not sqlite or etcd", text));
}

Result<cluster::BackendType> parse_backend(std::string_view text) {
  if (text == "vxlan") return cluster::BackendType::vxlan;
  if (text == "host-gw") return cluster::BackendType::host_gw;
  return fail(fmt::format("--backend: \"{}\" is not vxlan or host-gw", text));
}

Result<cluster::PodMode> parse_mode(std::string_view text) {
  if (auto m = cluster::parse_pod_mode(text)) return *m;
  return fail(fmt::format("--mode: \"{}\" is not ptp or bridge", text));
}

std::string wiring_label(const LabSpec& spec) {
  return backend_label(spec) + (spec.mode == cluster::PodMode::bridge ? ", bridge mode" : "");
}

std::string backend_label(const LabSpec& spec) {
  return fmt::format("{}{}", cluster::to_string(spec.backend),
                     spec.direct_routing ? " (direct routing)" : "");
}

Result<LabSpec> make_spec(std::string_view name, std::string_view nodes, std::string_view store,
                          std::string_view backend, bool direct_routing, std::string_view mode) {
  LabSpec s;
  PODNET_TRY_VOID(validate_lab_name(name));
  s.name = std::string(name);
  s.nodes = PODNET_TRY(parse_nodes(nodes));
  s.store = PODNET_TRY(parse_store_kind(store));
  s.backend = PODNET_TRY(parse_backend(backend));
  s.direct_routing = direct_routing;
  s.mode = PODNET_TRY(parse_mode(mode));
  // The config rules (direct routing is vxlan's) are cluster::validate's; name the flag.
  if (auto v = cluster::validate(lab_cluster_config(s)); !v) {
    constexpr std::string_view field = "backend.directRouting:";
    const std::string& m = v.error().message;
    return fail(m.starts_with(field) ? "--direct-routing:" + m.substr(field.size()) : m);
  }
  return s;
}

Result<std::vector<NodePlan>> plan_nodes(int n) {
  if (n < 1 || n > max_nodes) return fail(fmt::format("--nodes: {} is not in 1..{}", n, max_nodes));
  // The seed's machines first, in the order the contract gives, then new lxb machines.
  std::vector<NodePlan> out;
  auto add = [&](std::string name, uint32_t last_octet) {
    out.push_back(
        {std::move(name), net::IpAddress::v4((10u << 24) | (1u << 16) | (1u << 8) | last_octet)});
  };
  for (int i = 0; i < n; ++i) {
    if (i < 4)
      add(fmt::format("lxb{:03}", i + 1), 15 + i);
    else if (i < 7)
      add(fmt::format("lxcc{:02}", i - 3), 9 + (i - 4));
    else
      add(fmt::format("lxb{:03}", i - 2), 19 + (i - 7));
  }
  return out;
}

std::string netns_switch(std::string_view lab) {
  return fmt::format("{}-sw", lab);
}
std::string netns_ext(std::string_view lab) {
  return fmt::format("{}-ext", lab);
}
std::string netns_etcd(std::string_view lab) {
  return fmt::format("{}-etcd", lab);
}
std::string netns_node(std::string_view lab, std::string_view node) {
  return fmt::format("{}-{}", lab, node);
}
std::string netns_pod(std::string_view lab, std::string_view ns, std::string_view pod) {
  if (ns == cluster::default_namespace) return fmt::format("{}-pod-{}", lab, pod);
  return fmt::format("{}-pod-{}.{}", lab, pod, ns);
}
std::string pod_netns_prefix(std::string_view lab) {
  return fmt::format("{}-pod-", lab);
}
std::string netns_path(std::string_view netns_name) {
  return fmt::format("/var/run/netns/{}", netns_name);
}

namespace {
bool digits_after(std::string_view s, std::string_view head) {
  if (!s.starts_with(head) || s.size() == head.size()) return false;
  for (char c : s.substr(head.size()))
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

bool is_lab_netns(std::string_view lab, std::string_view name) {
  if (name.size() <= lab.size() + 1 || !name.starts_with(lab) || name[lab.size()] != '-')
    return false;
  std::string_view rest = name.substr(lab.size() + 1);
  if (rest == "sw" || rest == "ext" || rest == "etcd") return true;
  if (rest.starts_with("pod-") && rest.size() > 4) return true;
  return digits_after(rest, "lxb") || digits_after(rest, "lxcc");
}

std::string LabPaths::log(std::string_view process) const {
  return fmt::format("{}/{}.log", logs(), process);
}
std::string LabPaths::node_dir(std::string_view node) const {
  return fmt::format("{}/nodes/{}", root, node);
}
std::string LabPaths::cni_conf_dir(std::string_view node) const {
  return node_dir(node) + "/net.d";
}
std::string LabPaths::conflist(std::string_view node) const {
  return cni_conf_dir(node) + "/10-podnet.conflist";
}
std::string LabPaths::ipam_dir(std::string_view node) const {
  return node_dir(node) + "/ipam";
}
std::string LabPaths::state_dir(std::string_view node) const {
  return node_dir(node) + "/state";
}

LabPaths lab_paths(std::string_view lab, std::string_view base) {
  return LabPaths{fmt::format("{}/{}", base, lab)};
}

std::string store_url(StoreKind kind, const LabPaths& paths) {
  // Plain HTTP inside the lab's own namespaces, never on a real network: say so (insecure=1).
  if (kind == StoreKind::etcd)
    return fmt::format("etcd://{}:{}?insecure=1", etcd_ip, etcd_client_port);
  return "sqlite://" + paths.store_db();
}

cluster::ClusterConfig lab_cluster_config(const LabSpec& spec) {
  cluster::ClusterConfig c;  // defaults are the lab's: 192.168.0.0/16, /24, 10.96.0.0/12
  c.backend.type = spec.backend;
  c.backend.directRouting = spec.direct_routing;
  return c;
}

}  // namespace podnet::lab
