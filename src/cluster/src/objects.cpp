#include "podnet/cluster/objects.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "json_util.hpp"

namespace podnet::cluster {

using namespace detail;

// ---- names and keys ----

Result<> validate_dns_label(std::string_view name, std::string_view field) {
  auto bad = [&](std::string_view why) {
    return fail(fmt::format("{}: \"{}\" is not a DNS-1123 label ({})", field, name, why));
  };
  if (name.empty()) return fail(fmt::format("{}: must not be empty", field));
  if (name.size() > 63) return bad("longer than 63 characters");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : name)
    if (!alnum(c) && c != '-') return bad("only a-z, 0-9 and '-' allowed");
  if (!alnum(name.front()) || !alnum(name.back())) return bad("must start and end with a-z or 0-9");
  return {};
}

std::string node_key(std::string_view name) { return fmt::format("{}{}", nodes_prefix, name); }

std::string subnet_key(const net::Prefix& cidr) {
  return fmt::format("{}{}-{}", subnets_prefix, cidr.address().str(), cidr.length());
}

std::string pod_key(std::string_view ns, std::string_view name) {
  return fmt::format("{}{}/{}", pods_prefix, ns, name);
}

std::string service_key(std::string_view ns, std::string_view name) {
  return fmt::format("{}{}/{}", services_prefix, ns, name);
}

Result<net::Prefix> subnet_from_key(std::string_view key) {
  std::string_view k = key;
  if (k.starts_with(subnets_prefix)) k.remove_prefix(subnets_prefix.size());
  auto dash = k.rfind('-');
  if (dash == std::string_view::npos)
    return fail(fmt::format("subnet key \"{}\": want <address>-<length>", key));
  std::string text = fmt::format("{}/{}", k.substr(0, dash), k.substr(dash + 1));
  auto p = net::Prefix::parse(text);
  if (!p || p->masked() != *p)
    return fail(fmt::format("subnet key \"{}\": want <address>-<length>", key));
  return *p;
}

namespace {

// metadata{name, namespace?, labels?}
struct Meta {
  std::string name, ns;
  Labels labels;
};

Result<Labels> read_labels(const json& obj, std::string_view key, std::string_view path) {
  Labels out;
  const json* m = PODNET_TRY(object_at(obj, key, path, false));
  if (!m) return out;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (!it.value().is_string())
      return fail(fmt::format("{}.{}: must be a string", join(path, key), it.key()));
    if (it.key().empty()) return fail(fmt::format("{}: empty key", join(path, key)));
    out.emplace(it.key(), it.value().get<std::string>());
  }
  return out;
}

Result<Meta> read_meta(const json& j, bool namespaced) {
  if (!j.is_object()) return fail("object: must be a JSON object");
  const json* m = PODNET_TRY(object_at(j, "metadata", "", true));
  Meta meta;
  meta.name = PODNET_TRY(req_string(*m, "name", "metadata"));
  if (namespaced) {
    PODNET_TRY_VOID(validate_dns_label(meta.name, "metadata.name"));
    meta.ns = PODNET_TRY(opt_string(*m, "namespace", "metadata")).value_or("default");
    PODNET_TRY_VOID(validate_dns_label(meta.ns, "metadata.namespace"));
    meta.labels = PODNET_TRY(read_labels(*m, "labels", "metadata"));
  }
  return meta;
}

json meta_json(std::string_view name, std::string_view ns, const Labels& labels) {
  json m = {{"name", name}};
  if (!ns.empty()) m["namespace"] = ns;
  if (!labels.empty()) m["labels"] = labels;
  return m;
}

Result<std::optional<net::IpAddress>> opt_ip(const json& obj, std::string_view key,
                                             std::string_view path) {
  auto s = PODNET_TRY(opt_string(obj, key, path));
  if (!s || s->empty()) return std::optional<net::IpAddress>{};
  return std::optional<net::IpAddress>(PODNET_TRY(parse_ip(*s, join(path, key))));
}

Result<std::string> normalize_mac(const std::string& mac, std::string_view field) {
  std::string out = mac;
  bool ok = out.size() == 17;
  for (size_t i = 0; ok && i < out.size(); ++i) {
    char& c = out[i];
    if (i % 3 == 2) ok = c == ':';
    else {
      ok = std::isxdigit(static_cast<unsigned char>(c)) != 0;
      c = char(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!ok) return fail(fmt::format("{}: \"{}\" is not a MAC address (aa:bb:cc:dd:ee:ff)", field, mac));
  return out;
}

Result<uint16_t> port_field(const json& obj, std::string_view key, std::string_view path,
                            bool required, int64_t lo = 1) {
  auto v = PODNET_TRY(opt_int(obj, key, path));
  if (!v) {
    if (required) return fail(fmt::format("{}: missing", join(path, key)));
    return uint16_t(0);
  }
  if (*v < lo || *v > 65535)
    return fail(fmt::format("{}: {} must be in {}..65535", join(path, key), *v, lo));
  return uint16_t(*v);
}

template <typename E, size_t N>
Result<E> enum_field(const json& obj, std::string_view key, std::string_view path, E dflt,
                     const std::pair<std::string_view, E> (&names)[N]) {
  auto s = PODNET_TRY(opt_string(obj, key, path));
  if (!s) return dflt;
  for (const auto& [n, e] : names)
    if (*s == n) return e;
  std::string want;
  for (const auto& [n, e] : names) want += fmt::format("{}{}", want.empty() ? "" : ", ", n);
  return fail(fmt::format("{}: unknown value \"{}\" (want one of {})", join(path, key), *s, want));
}

constexpr std::pair<std::string_view, PodPhase> phase_names[] = {
    {"Pending", PodPhase::Pending}, {"Running", PodPhase::Running},
    {"Succeeded", PodPhase::Succeeded}, {"Failed", PodPhase::Failed},
    {"Unknown", PodPhase::Unknown}};
constexpr std::pair<std::string_view, ServiceType> type_names[] = {
    {"ClusterIP", ServiceType::ClusterIP}, {"NodePort", ServiceType::NodePort}};
constexpr std::pair<std::string_view, Protocol> protocol_names[] = {
    {"TCP", Protocol::TCP}, {"UDP", Protocol::UDP}, {"SCTP", Protocol::SCTP}};
constexpr std::pair<std::string_view, SessionAffinity> affinity_names[] = {
    {"None", SessionAffinity::None}, {"ClientIP", SessionAffinity::ClientIP}};

template <typename E, size_t N>
std::string_view name_of(E e, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [n, v] : names)
    if (v == e) return n;
  return "?";
}

}  // namespace

std::string_view to_string(PodPhase p) { return name_of(p, phase_names); }
std::string_view to_string(ServiceType t) { return name_of(t, type_names); }
std::string_view to_string(Protocol p) { return name_of(p, protocol_names); }
std::string_view to_string(SessionAffinity a) { return name_of(a, affinity_names); }

// ---- Node ----

nlohmann::json to_json(const Node& n) {
  json spec = {{"podCIDR", n.podCIDR.str()}};
  if (!n.vtepMAC.empty()) spec["backend"] = {{"vtepMAC", n.vtepMAC}};
  return json{{"metadata", meta_json(n.name, "", {})},
              {"spec", spec},
              {"status",
               {{"addresses", json::array({{{"type", "InternalIP"}, {"address", n.internalIP.str()}}})},
                {"heartbeat", n.heartbeat}}}};
}

Result<Node> node_from_json(const nlohmann::json& j) {
  Node n;
  n.name = PODNET_TRY(read_meta(j, false)).name;
  PODNET_TRY_VOID(validate_dns_label(n.name, "metadata.name"));
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  n.podCIDR = PODNET_TRY(parse_cidr(PODNET_TRY(req_string(*spec, "podCIDR", "spec")), "spec.podCIDR"));
  if (const json* b = PODNET_TRY(object_at(*spec, "backend", "spec", false)))
    if (auto mac = PODNET_TRY(opt_string(*b, "vtepMAC", "spec.backend")); mac && !mac->empty())
      n.vtepMAC = PODNET_TRY(normalize_mac(*mac, "spec.backend.vtepMAC"));
  const json* status = PODNET_TRY(object_at(j, "status", "", true));
  const json* addrs = member(*status, "addresses");
  if (!addrs || !addrs->is_array()) return fail("status.addresses: missing (want an array)");
  bool found = false;
  for (size_t i = 0; i < addrs->size(); ++i) {
    const json& a = (*addrs)[i];
    std::string path = fmt::format("status.addresses[{}]", i);
    if (!a.is_object()) return fail(fmt::format("{}: must be an object", path));
    if (PODNET_TRY(req_string(a, "type", path)) != "InternalIP") continue;
    n.internalIP = PODNET_TRY(parse_ip(PODNET_TRY(req_string(a, "address", path)), path + ".address"));
    found = true;
    break;
  }
  if (!found) return fail("status.addresses: no InternalIP address");
  auto hb = PODNET_TRY(opt_int(*status, "heartbeat", "status"));
  n.heartbeat = hb.value_or(0);
  if (n.heartbeat < 0) return fail(fmt::format("status.heartbeat: {} must not be negative", n.heartbeat));
  return n;
}

// ---- SubnetLease ----

nlohmann::json to_json(const SubnetLease& l) {
  return json{{"metadata", {{"name", subnet_key(l.cidr).substr(subnets_prefix.size())}}},
              {"spec", {{"cidr", l.cidr.str()}, {"node", l.node}, {"internalIP", l.internalIP.str()}}}};
}

Result<SubnetLease> lease_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("object: must be a JSON object");
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  SubnetLease l;
  l.cidr = PODNET_TRY(parse_cidr(PODNET_TRY(req_string(*spec, "cidr", "spec")), "spec.cidr"));
  l.node = PODNET_TRY(req_string(*spec, "node", "spec"));
  PODNET_TRY_VOID(validate_dns_label(l.node, "spec.node"));
  l.internalIP = PODNET_TRY(parse_ip(PODNET_TRY(req_string(*spec, "internalIP", "spec")), "spec.internalIP"));
  return l;
}

// ---- Pod ----

nlohmann::json to_json(const Pod& p) {
  json spec = json::object();
  if (!p.node.empty()) spec["nodeName"] = p.node;
  json status = {{"phase", to_string(p.phase)}};
  if (p.podIP) status["podIP"] = p.podIP->str();
  if (!p.containerID.empty()) status["containerID"] = p.containerID;
  return json{{"metadata", meta_json(p.name, p.ns, p.labels)}, {"spec", spec}, {"status", status}};
}

Result<Pod> pod_from_json(const nlohmann::json& j) {
  auto meta = PODNET_TRY(read_meta(j, true));
  Pod p;
  p.name = std::move(meta.name);
  p.ns = std::move(meta.ns);
  p.labels = std::move(meta.labels);
  if (const json* spec = PODNET_TRY(object_at(j, "spec", "", false))) {
    p.node = PODNET_TRY(opt_string(*spec, "nodeName", "spec")).value_or("");
    if (!p.node.empty()) PODNET_TRY_VOID(validate_dns_label(p.node, "spec.nodeName"));
  }
  if (const json* status = PODNET_TRY(object_at(j, "status", "", false))) {
    p.phase = PODNET_TRY(enum_field(*status, "phase", "status", PodPhase::Pending, phase_names));
    p.podIP = PODNET_TRY(opt_ip(*status, "podIP", "status"));
    p.containerID = PODNET_TRY(opt_string(*status, "containerID", "status")).value_or("");
  }
  return p;
}

// ---- Service ----

nlohmann::json to_json(const Service& s) {
  json ports = json::array();
  for (const auto& p : s.ports) {
    json o = {{"protocol", to_string(p.protocol)}, {"port", p.port}, {"targetPort", p.targetPort}};
    if (!p.name.empty()) o["name"] = p.name;
    if (p.nodePort) o["nodePort"] = p.nodePort;
    ports.push_back(std::move(o));
  }
  json spec = {{"type", to_string(s.type)},
               {"ports", ports},
               {"sessionAffinity", to_string(s.sessionAffinity)}};
  if (s.clusterIP) spec["clusterIP"] = s.clusterIP->str();
  if (!s.selector.empty()) spec["selector"] = s.selector;
  return json{{"metadata", meta_json(s.name, s.ns, s.labels)}, {"spec", spec}};
}

Result<Service> service_from_json(const nlohmann::json& j) {
  auto meta = PODNET_TRY(read_meta(j, true));
  Service s;
  s.name = std::move(meta.name);
  s.ns = std::move(meta.ns);
  s.labels = std::move(meta.labels);
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  s.type = PODNET_TRY(enum_field(*spec, "type", "spec", ServiceType::ClusterIP, type_names));
  s.clusterIP = PODNET_TRY(opt_ip(*spec, "clusterIP", "spec"));
  s.selector = PODNET_TRY(read_labels(*spec, "selector", "spec"));
  s.sessionAffinity = PODNET_TRY(enum_field(*spec, "sessionAffinity", "spec", SessionAffinity::None, affinity_names));
  const json* ports = member(*spec, "ports");
  if (!ports || !ports->is_array() || ports->empty())
    return fail("spec.ports: missing (want a non-empty array)");
  std::set<std::string> names;
  std::set<std::pair<Protocol, uint16_t>> seen;
  for (size_t i = 0; i < ports->size(); ++i) {
    const json& o = (*ports)[i];
    std::string path = fmt::format("spec.ports[{}]", i);
    if (!o.is_object()) return fail(fmt::format("{}: must be an object", path));
    ServicePort p;
    p.name = PODNET_TRY(opt_string(o, "name", path)).value_or("");
    if (!p.name.empty()) PODNET_TRY_VOID(validate_dns_label(p.name, path + ".name"));
    else if (ports->size() > 1)
      return fail(fmt::format("{}.name: required when a service has several ports", path));
    if (!p.name.empty() && !names.insert(p.name).second)
      return fail(fmt::format("{}.name: \"{}\" used twice", path, p.name));
    p.protocol = PODNET_TRY(enum_field(o, "protocol", path, Protocol::TCP, protocol_names));
    p.port = PODNET_TRY(port_field(o, "port", path, true));
    p.targetPort = PODNET_TRY(port_field(o, "targetPort", path, false));
    if (!p.targetPort) p.targetPort = p.port;
    p.nodePort = PODNET_TRY(port_field(o, "nodePort", path, false));
    if (p.nodePort && s.type == ServiceType::ClusterIP)
      return fail(fmt::format("{}.nodePort: {} set on a ClusterIP service", path, p.nodePort));
    if (!seen.emplace(p.protocol, p.port).second)
      return fail(fmt::format("{}.port: {}/{} used twice", path, p.port, to_string(p.protocol)));
    s.ports.push_back(std::move(p));
  }
  return s;
}

}  // namespace podnet::cluster
