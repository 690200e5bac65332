#include "podnet/lab/state.hpp"
#include "podnet/common/json_bounded.hpp"

#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"

namespace podnet::lab {

using nlohmann::json;

const NodePlan* LabState::find_node(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const ProcessRecord* LabState::find_process(std::string_view role, std::string_view node) const {
  for (const auto& p : processes)
    if (p.role == role && p.node == node) return &p;
  return nullptr;
}

Result<LabState> make_state(const LabSpec& spec, int64_t now, std::string_view base_dir) {
  PODNET_TRY_VOID(validate_lab_name(spec.name));
  LabState s;
  s.spec = spec;
  s.nodes = PODNET_TRY(plan_nodes(spec.nodes));
  s.store_url = store_url(spec.store, lab_paths(spec.name, base_dir));
  s.created = now;
  return s;
}

json to_json(const LabState& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) nodes.push_back({{"name", n.name}, {"ip", n.ip.str()}});
  json procs = json::array();
  for (const auto& p : s.processes)
    procs.push_back({{"role", p.role},
                     {"node", p.node},
                     {"pid", p.pid},
                     {"startTime", p.start_time},
                     {"netns", p.netns},
                     {"log", p.log}});
  return {{"name", s.spec.name},
          {"store", to_string(s.spec.store)},
          {"storeURL", s.store_url},
          {"backend", cluster::to_string(s.spec.backend)},
          {"directRouting", s.spec.direct_routing},
          {"mode", std::string(cluster::to_string(s.spec.mode))},
          {"created", s.created},
          {"nodes", std::move(nodes)},
          {"processes", std::move(procs)}};
}

namespace {

Result<std::string> get_string(const json& j, std::string_view key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return fail(fmt::format("lab.json: {}{}: missing or not a string", where, key));
  return it->get<std::string>();
}

Result<int64_t> get_int(const json& j, std::string_view key, std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    return fail(fmt::format("lab.json: {}{}: missing or not an integer", where, key));
  return it->get<int64_t>();
}

Result<LabState> from_json(const json& j) {
  if (!j.is_object()) return fail("lab.json: not a JSON object");
  LabState s;
  s.spec.name = PODNET_TRY(get_string(j, "name", ""));
  if (auto r = validate_lab_name(s.spec.name); !r) return fail("lab.json: " + r.error().message);
  auto store = PODNET_TRY(get_string(j, "store", ""));
  auto kind = parse_store_kind(store);
  if (!kind) return fail(fmt::format("lab.json: store: \"{}\" is not sqlite or etcd", store));
  s.spec.store = *kind;
  auto backend = PODNET_TRY(get_string(j, "backend", ""));
  auto bt = parse_backend(backend);
  if (!bt) return fail(fmt::format("lab.json: backend: \"{}\" is not vxlan or host-gw", backend));
  s.spec.backend = *bt;
  if (auto dr = j.find("directRouting"); dr != j.end()) {
    if (!dr->is_boolean()) return fail("lab.json: directRouting: not true or false");
    s.spec.direct_routing = dr->get<bool>();
  }
  if (j.contains("mode")) {  // absent in labs made before --mode: ptp
    auto mode = PODNET_TRY(get_string(j, "mode", ""));
    auto m = cluster::parse_pod_mode(mode);
    if (!m) return fail(fmt::format("lab.json: mode: \"{}\" is not ptp or bridge", mode));
    s.spec.mode = *m;
  }
  s.store_url = PODNET_TRY(get_string(j, "storeURL", ""));
  if (s.store_url.empty()) return fail("lab.json: storeURL: empty");
  s.created = PODNET_TRY(get_int(j, "created", ""));

  auto nodes = j.find("nodes");
  if (nodes == j.end() || !nodes->is_array() || nodes->empty())
    return fail("lab.json: nodes: missing or empty");
  for (size_t i = 0; i < nodes->size(); ++i) {
    const auto where = fmt::format("nodes[{}].", i);
    const json& n = (*nodes)[i];
    if (!n.is_object()) return fail(fmt::format("lab.json: nodes[{}]: not an object", i));
    NodePlan p;
    p.name = PODNET_TRY(get_string(n, "name", where));
    if (auto r = cluster::validate_dns_label(p.name, "lab.json: " + where + "name"); !r)
      return fail(r.error());
    if (s.find_node(p.name))
      return fail(fmt::format("lab.json: {}name: \"{}\" twice", where, p.name));
    auto ip_text = PODNET_TRY(get_string(n, "ip", where));
    auto ip = net::IpAddress::parse(ip_text);
    if (!ip || !ip->is_v4())
      return fail(fmt::format("lab.json: {}ip: \"{}\" is not an IPv4 address", where, ip_text));
    p.ip = *ip;
    s.nodes.push_back(std::move(p));
  }
  s.spec.nodes = static_cast<int>(s.nodes.size());

  auto procs = j.find("processes");
  if (procs != j.end()) {
    if (!procs->is_array()) return fail("lab.json: processes: not an array");
    for (size_t i = 0; i < procs->size(); ++i) {
      const auto where = fmt::format("processes[{}].", i);
      const json& pj = (*procs)[i];
      if (!pj.is_object()) return fail(fmt::format("lab.json: processes[{}]: not an object", i));
      ProcessRecord p;
      p.role = PODNET_TRY(get_string(pj, "role", where));
      p.node = PODNET_TRY(get_string(pj, "node", where));
      auto pid = PODNET_TRY(get_int(pj, "pid", where));
      if (pid <= 1 || pid > (1 << 22))
        return fail(fmt::format("lab.json: {}pid: {} is not a process id", where, pid));
      p.pid = static_cast<int>(pid);
      p.start_time = static_cast<uint64_t>(PODNET_TRY(get_int(pj, "startTime", where)));
      p.netns = PODNET_TRY(get_string(pj, "netns", where));
      p.log = PODNET_TRY(get_string(pj, "log", where));
      s.processes.push_back(std::move(p));
    }
  }
  return s;
}

}  // namespace

Result<LabState> parse_state(std::string_view text) {
  auto j = PODNET_TRY(
      parse_json_bounded(text, json_default_max_depth, json_default_max_bytes, "lab.json"));
  return from_json(j);
}

}  // namespace podnet::lab
