#include "podnet/cluster/objects.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <utility>

#include "json_util.hpp"
#include "meta_util.hpp"

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

std::string node_key(std::string_view name) {
  return fmt::format("{}{}", nodes_prefix, name);
}

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

// ---- timestamps ----

std::string format_timestamp(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Result<int64_t> parse_timestamp(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return fail(fmt::format("{}: \"{}\" is not a UTC time (2006-01-02T15:04:05Z)", field, text));
  };
  // Exactly YYYY-MM-DDTHH:MM:SSZ: the only form podnet writes.
  if (text.size() != 20) return bad();
  const std::string_view shape = "dddd-dd-ddTdd:dd:ddZ";
  for (size_t i = 0; i < shape.size(); ++i) {
    char c = text[i];
    if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i]) return bad();
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return bad();
  return int64_t(::timegm(&tm));
}

namespace {

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
    if (i % 3 == 2)
      ok = c == ':';
    else {
      ok = std::isxdigit(static_cast<unsigned char>(c)) != 0;
      c = char(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!ok)
    return fail(fmt::format("{}: \"{}\" is not a MAC address (aa:bb:cc:dd:ee:ff)", field, mac));
  return out;
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

constexpr std::pair<std::string_view, PodPhase> phase_names[] = {{"Pending", PodPhase::Pending},
                                                                 {"Running", PodPhase::Running},
                                                                 {"Succeeded", PodPhase::Succeeded},
                                                                 {"Failed", PodPhase::Failed},
                                                                 {"Unknown", PodPhase::Unknown}};
constexpr std::pair<std::string_view, ServiceType> type_names[] = {
    {"ClusterIP", ServiceType::ClusterIP}, {"NodePort", ServiceType::NodePort}};
constexpr std::pair<std::string_view, Protocol> protocol_names[] = {
    {"TCP", Protocol::TCP}, {"UDP", Protocol::UDP}, {"SCTP", Protocol::SCTP}};
constexpr std::pair<std::string_view, SessionAffinity> affinity_names[] = {
    {"None", SessionAffinity::None}, {"ClientIP", SessionAffinity::ClientIP}};
constexpr std::pair<std::string_view, TrafficPolicy> policy_names[] = {
    {"Cluster", TrafficPolicy::Cluster}, {"Local", TrafficPolicy::Local}};

template <typename E, size_t N>
std::string_view name_of(E e, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [n, v] : names)
    if (v == e) return n;
  return "?";
}

}  // namespace

std::string_view to_string(PodPhase p) {
  return name_of(p, phase_names);
}
std::string_view to_string(ServiceType t) {
  return name_of(t, type_names);
}
std::string_view to_string(Protocol p) {
  return name_of(p, protocol_names);
}
std::string_view to_string(SessionAffinity a) {
  return name_of(a, affinity_names);
}
std::string_view to_string(TrafficPolicy p) {
  return name_of(p, policy_names);
}

// ---- Node ----

nlohmann::json to_json(const Node& n) {
  json spec = {{"podCIDR", n.podCIDR.str()}};
  if (!n.vtepMAC.empty()) spec["backend"] = {{"vtepMAC", n.vtepMAC}};
  return json{
      {"metadata", meta_json(n.name, "", {})},
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
  n.podCIDR =
      PODNET_TRY(parse_cidr(PODNET_TRY(req_string(*spec, "podCIDR", "spec")), "spec.podCIDR"));
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
    n.internalIP =
        PODNET_TRY(parse_ip(PODNET_TRY(req_string(a, "address", path)), path + ".address"));
    found = true;
    break;
  }
  if (!found) return fail("status.addresses: no InternalIP address");
  auto hb = PODNET_TRY(opt_int(*status, "heartbeat", "status"));
  n.heartbeat = hb.value_or(0);
  if (n.heartbeat < 0)
    return fail(fmt::format("status.heartbeat: {} must not be negative", n.heartbeat));
  return n;
}

// ---- SubnetLease ----

nlohmann::json to_json(const SubnetLease& l) {
  return json{
      {"metadata", {{"name", subnet_key(l.cidr).substr(subnets_prefix.size())}}},
      {"spec", {{"cidr", l.cidr.str()}, {"node", l.node}, {"internalIP", l.internalIP.str()}}}};
}

Result<SubnetLease> lease_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("object: must be a JSON object");
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  SubnetLease l;
  l.cidr = PODNET_TRY(parse_cidr(PODNET_TRY(req_string(*spec, "cidr", "spec")), "spec.cidr"));
  l.node = PODNET_TRY(req_string(*spec, "node", "spec"));
  PODNET_TRY_VOID(validate_dns_label(l.node, "spec.node"));
  l.internalIP =
      PODNET_TRY(parse_ip(PODNET_TRY(req_string(*spec, "internalIP", "spec")), "spec.internalIP"));
  return l;
}

// ---- Pod ----

nlohmann::json to_json(const Pod& p) {
  json meta = meta_json(p.name, p.ns, p.labels);
  if (p.created) meta["creationTimestamp"] = format_timestamp(p.created);
  if (!p.owner.empty())
    meta["ownerReferences"] = json::array({{{"kind", "Deployment"}, {"name", p.owner}}});
  json spec = json::object();
  if (!p.node.empty()) spec["nodeName"] = p.node;
  if (p.port) {
    json first = {{"containerPort", p.port}};
    if (!p.portName.empty()) first["name"] = p.portName;
    json ports = json::array({first});
    for (const auto& cp : p.extraPorts) {
      json o = {{"containerPort", cp.containerPort}};
      if (!cp.name.empty()) o["name"] = cp.name;
      ports.push_back(std::move(o));
    }
    spec["containers"] = json::array({{{"name", "app"}, {"ports", std::move(ports)}}});
  }
  json status = {{"phase", to_string(p.phase)}};
  if (!p.reason.empty()) status["reason"] = p.reason;
  if (p.podIP) status["podIP"] = p.podIP->str();
  if (!p.containerID.empty()) status["containerID"] = p.containerID;
  if (p.ready || p.restartCount)
    status["containerStatuses"] =
        json::array({{{"name", "app"}, {"ready", p.ready}, {"restartCount", p.restartCount}}});
  return json{{"metadata", meta}, {"spec", spec}, {"status", status}};
}

namespace {

// The first element of an optional array of objects at obj[key], or nullptr.
Result<const json*> first_object(const json& obj, std::string_view key, std::string_view path) {
  const json* a = member(obj, key);
  if (!a) return nullptr;
  if (!a->is_array()) return fail(fmt::format("{}: must be an array", join(path, key)));
  if (a->empty()) return nullptr;
  if (!(*a)[0].is_object()) return fail(fmt::format("{}[0]: must be an object", join(path, key)));
  return &(*a)[0];
}

Result<> read_pod_meta(const json& j, Pod& p) {
  const json* m = PODNET_TRY(object_at(j, "metadata", "", true));
  if (auto ts = PODNET_TRY(opt_string(*m, "creationTimestamp", "metadata")))
    p.created = PODNET_TRY(parse_timestamp(*ts, "metadata.creationTimestamp"));
  if (const json* o = PODNET_TRY(first_object(*m, "ownerReferences", "metadata"))) {
    p.owner = PODNET_TRY(req_string(*o, "name", "metadata.ownerReferences[0]"));
    PODNET_TRY_VOID(validate_dns_label(p.owner, "metadata.ownerReferences[0].name"));
  }
  return {};
}

Result<> read_container(const json& spec, Pod& p) {
  const json* c = PODNET_TRY(first_object(spec, "containers", "spec"));
  if (!c) return {};
  if (!PODNET_TRY(first_object(*c, "ports", "spec.containers[0]"))) return {};
  const json& ports = (*c)["ports"];
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string path = fmt::format("spec.containers[0].ports[{}]", i);
    if (!ports[i].is_object()) return fail(path + ": must be an object");
    ContainerPort cp;
    cp.containerPort = PODNET_TRY(port_field(ports[i], "containerPort", path, true));
    cp.name = PODNET_TRY(opt_string(ports[i], "name", path)).value_or("");
    if (!cp.name.empty()) {
      PODNET_TRY_VOID(validate_dns_label(cp.name, path + ".name"));
      if (!names.insert(cp.name).second)
        return fail(fmt::format("{}.name: \"{}\" used twice", path, cp.name));
    }
    if (i == 0) {
      p.port = cp.containerPort;
      p.portName = std::move(cp.name);
    } else {
      p.extraPorts.push_back(std::move(cp));
    }
  }
  return {};
}

Result<> read_container_status(const json& status, Pod& p) {
  const json* c = PODNET_TRY(first_object(status, "containerStatuses", "status"));
  if (!c) return {};
  const std::string path = "status.containerStatuses[0]";
  if (const json* r = member(*c, "ready")) {
    if (!r->is_boolean()) return fail(path + ".ready: must be true or false");
    p.ready = r->get<bool>();
  }
  p.restartCount = PODNET_TRY(opt_int(*c, "restartCount", path)).value_or(0);
  if (p.restartCount < 0)
    return fail(fmt::format("{}.restartCount: {} must not be negative", path, p.restartCount));
  return {};
}

}  // namespace

Result<Pod> pod_from_json(const nlohmann::json& j) {
  auto meta = PODNET_TRY(read_meta(j, true));
  Pod p;
  p.name = std::move(meta.name);
  p.ns = std::move(meta.ns);
  p.labels = std::move(meta.labels);
  PODNET_TRY_VOID(read_pod_meta(j, p));
  if (const json* spec = PODNET_TRY(object_at(j, "spec", "", false))) {
    p.node = PODNET_TRY(opt_string(*spec, "nodeName", "spec")).value_or("");
    if (!p.node.empty()) PODNET_TRY_VOID(validate_dns_label(p.node, "spec.nodeName"));
    PODNET_TRY_VOID(read_container(*spec, p));
  }
  if (const json* status = PODNET_TRY(object_at(j, "status", "", false))) {
    p.phase = PODNET_TRY(enum_field(*status, "phase", "status", PodPhase::Pending, phase_names));
    p.reason = PODNET_TRY(opt_string(*status, "reason", "status")).value_or("");
    p.podIP = PODNET_TRY(opt_ip(*status, "podIP", "status"));
    p.containerID = PODNET_TRY(opt_string(*status, "containerID", "status")).value_or("");
    PODNET_TRY_VOID(read_container_status(*status, p));
  }
  return p;
}

std::optional<uint16_t> named_port(const Pod& p, std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (p.port && p.portName == name) return p.port;
  for (const auto& cp : p.extraPorts)
    if (cp.name == name) return cp.containerPort;
  return std::nullopt;
}

// ---- Service ----

std::string TargetPort::str() const {
  return named() ? name : std::to_string(number);
}

std::string to_string(const ExplicitEndpoint& e) {
  if (!e.port) return e.ip.str();
  if (e.ip.is_v4()) return fmt::format("{}:{}", e.ip.str(), e.port);
  return fmt::format("[{}]:{}", e.ip.str(), e.port);
}

Result<ExplicitEndpoint> parse_explicit_endpoint(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return fail(fmt::format("{}: \"{}\" is not IP, IP:PORT or [IPv6]:PORT", field, text));
  };
  std::string_view host = text, port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad();
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.size() < 2 || rest[0] != ':') return bad();
    port = rest.substr(1);
  } else if (auto colon = text.find(':'); colon != std::string_view::npos &&
                                          text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);  // one colon: IPv4:PORT (several: a bare IPv6 address)
    port = text.substr(colon + 1);
  }
  auto ip = net::IpAddress::parse(host);
  if (!ip) return bad();
  ExplicitEndpoint e;
  e.ip = *ip;
  if (!port.empty() || host.size() != text.size()) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad();
    int v = std::stoi(std::string(port));
    if (v < 1 || v > 65535) return fail(fmt::format("{}: port {} must be in 1..65535", field, v));
    e.port = uint16_t(v);
  }
  return e;
}

nlohmann::json to_json(const Service& s) {
  json ports = json::array();
  for (const auto& p : s.ports) {
    json o = {{"protocol", to_string(p.protocol)}, {"port", p.port}};
    if (p.targetPort.named())
      o["targetPort"] = p.targetPort.name;
    else
      o["targetPort"] = p.targetPort.number;
    if (!p.name.empty()) o["name"] = p.name;
    if (p.nodePort) o["nodePort"] = p.nodePort;
    ports.push_back(std::move(o));
  }
  json spec = {{"type", to_string(s.type)},
               {"ports", ports},
               {"sessionAffinity", to_string(s.sessionAffinity)},
               {"internalTrafficPolicy", to_string(s.internalTrafficPolicy)}};
  if (s.sessionAffinity == SessionAffinity::ClientIP)
    spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", s.affinityTimeout}}}};
  if (s.type == ServiceType::NodePort)
    spec["externalTrafficPolicy"] = to_string(s.externalTrafficPolicy);
  if (s.publishNotReadyAddresses) spec["publishNotReadyAddresses"] = true;
  if (s.clusterIP) spec["clusterIP"] = s.clusterIP->str();
  if (!s.externalIPs.empty()) {
    json ips = json::array();
    for (const auto& ip : s.externalIPs) ips.push_back(ip.str());
    spec["externalIPs"] = std::move(ips);
  }
  if (!s.selector.empty()) spec["selector"] = s.selector;
  if (!s.endpoints.empty()) {
    json eps = json::array();
    for (const auto& e : s.endpoints) {
      if (e.portName.empty()) {
        eps.push_back(to_string(e));
        continue;
      }
      json o = {{"ip", e.ip.str()}, {"portName", e.portName}};
      if (e.port) o["port"] = e.port;
      eps.push_back(std::move(o));
    }
    spec["endpoints"] = std::move(eps);
  }
  json meta = meta_json(s.name, s.ns, s.labels);
  if (s.created) meta["creationTimestamp"] = format_timestamp(s.created);
  return json{{"metadata", meta}, {"spec", spec}};
}

namespace {

// Appends `v` as a JSON string, byte for byte as nlohmann's dump() writes it: printable ASCII
// directly, anything else (escapes, UTF-8, and the refusal of invalid UTF-8) by nlohmann.
void put_string(std::string& out, std::string_view v) {
  bool plain = true;
  for (char c : v)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  if (plain) {
    out += '"';
    out += v;
    out += '"';
  } else {
    out += json(std::string(v)).dump();
  }
}

// `"key":` then the value; a comma before every member but the first.
struct Members {
  std::string& out;
  bool first = true;
  Members& key(std::string_view k) {
    if (!first) out += ',';
    first = false;
    put_string(out, k);
    out += ':';
    return *this;
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    put_string(out, v);
  }
  void num(std::string_view k, int64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
};

void put_labels(std::string& out, const Labels& l) {  // a std::map: already in key order
  out += '{';
  Members m{out};
  for (const auto& [k, v] : l) m.str(k, v);
  out += '}';
}

}  // namespace

// Members in key order (nlohmann's objects are std::maps): the same text as to_json(s).dump().
std::string to_json_text(const Service& s) {
  std::string out;
  out.reserve(320);
  out += "{\"metadata\":{";
  {
    Members m{out};
    if (s.created) m.str("creationTimestamp", format_timestamp(s.created));
    if (!s.labels.empty()) {
      m.key("labels");
      put_labels(out, s.labels);
    }
    m.str("name", s.name);
    if (!s.ns.empty()) m.str("namespace", s.ns);
  }
  out += "},\"spec\":{";
  Members m{out};
  if (s.clusterIP) m.str("clusterIP", s.clusterIP->str());
  if (!s.endpoints.empty()) {
    m.key("endpoints");
    out += '[';
    for (size_t i = 0; i < s.endpoints.size(); ++i) {
      const auto& e = s.endpoints[i];
      if (i) out += ',';
      if (e.portName.empty()) {
        put_string(out, to_string(e));
        continue;
      }
      out += '{';
      Members em{out};
      em.str("ip", e.ip.str());
      if (e.port) em.num("port", e.port);
      em.str("portName", e.portName);
      out += '}';
    }
    out += ']';
  }
  if (!s.externalIPs.empty()) {
    m.key("externalIPs");
    out += '[';
    for (size_t i = 0; i < s.externalIPs.size(); ++i) {
      if (i) out += ',';
      put_string(out, s.externalIPs[i].str());
    }
    out += ']';
  }
  if (s.type == ServiceType::NodePort)
    m.str("externalTrafficPolicy", to_string(s.externalTrafficPolicy));
  m.str("internalTrafficPolicy", to_string(s.internalTrafficPolicy));
  m.key("ports");
  out += '[';
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const auto& p = s.ports[i];
    if (i) out += ',';
    out += '{';
    Members pm{out};
    if (!p.name.empty()) pm.str("name", p.name);
    if (p.nodePort) pm.num("nodePort", p.nodePort);
    pm.num("port", p.port);
    pm.str("protocol", to_string(p.protocol));
    if (p.targetPort.named())
      pm.str("targetPort", p.targetPort.name);
    else
      pm.num("targetPort", p.targetPort.number);
    out += '}';
  }
  out += ']';
  if (s.publishNotReadyAddresses) m.key("publishNotReadyAddresses"), out += "true";
  if (!s.selector.empty()) {
    m.key("selector");
    put_labels(out, s.selector);
  }
  m.str("sessionAffinity", to_string(s.sessionAffinity));
  if (s.sessionAffinity == SessionAffinity::ClientIP) {
    m.key("sessionAffinityConfig");
    fmt::format_to(std::back_inserter(out), "{{\"clientIP\":{{\"timeoutSeconds\":{}}}}}",
                   s.affinityTimeout);
  }
  m.str("type", to_string(s.type));
  out += "}}";
  return out;
}

namespace {

// IANA_SVC_NAME, as Kubernetes checks a named targetPort: 1..15 of [a-z0-9-], at least one
// letter, no leading/trailing/double '-'.
bool is_port_name(std::string_view n) {
  if (n.empty() || n.size() > 15 || n.front() == '-' || n.back() == '-') return false;
  bool letter = false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    if (c >= 'a' && c <= 'z')
      letter = true;
    else if (!(c >= '0' && c <= '9') && c != '-')
      return false;
    if (c == '-' && i > 0 && n[i - 1] == '-') return false;
  }
  return letter;
}

Result<TargetPort> read_target_port(const json& o, const std::string& path, uint16_t port) {
  const json* t = member(o, "targetPort");
  if (!t) return TargetPort(port);
  if (t->is_string()) {
    std::string name = t->get<std::string>();
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      json n = {{"targetPort", name.size() > 6 ? 70000 : std::stoi(name)}};
      return TargetPort(PODNET_TRY(port_field(n, "targetPort", path, true)));
    }
    if (name.empty())
      return fail(
          fmt::format("{}.targetPort: \"\" is not a port number or name (1-15 of a-z, "
                      "0-9, '-', with a letter)",
                      path));
    return TargetPort(std::move(name));  // checked by validate()
  }
  return TargetPort(PODNET_TRY(port_field(o, "targetPort", path, true)));
}

Result<std::vector<ExplicitEndpoint>> read_endpoints(const json& spec) {
  std::vector<ExplicitEndpoint> out;
  const json* a = member(spec, "endpoints");
  if (!a) return out;
  if (!a->is_array()) return fail("spec.endpoints: must be an array");
  for (size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    std::string path = fmt::format("spec.endpoints[{}]", i);
    if (e.is_string()) {
      out.push_back(PODNET_TRY(parse_explicit_endpoint(e.get<std::string>(), path)));
      continue;
    }
    if (!e.is_object())
      return fail(path + ": must be \"IP[:PORT]\" or an object {ip, port, portName}");
    ExplicitEndpoint x;
    x.ip = PODNET_TRY(parse_ip(PODNET_TRY(req_string(e, "ip", path)), path + ".ip"));
    x.port = PODNET_TRY(port_field(e, "port", path, false));
    x.portName = PODNET_TRY(opt_string(e, "portName", path)).value_or("");
    out.push_back(std::move(x));
  }
  return out;
}

Result<std::vector<net::IpAddress>> read_external_ips(const json& spec) {
  std::vector<net::IpAddress> out;
  const json* a = member(spec, "externalIPs");
  if (!a || a->is_null()) return out;
  if (!a->is_array()) return fail("spec.externalIPs: must be an array of IP addresses");
  for (size_t i = 0; i < a->size(); ++i) {
    const std::string path = fmt::format("spec.externalIPs[{}]", i);
    if (!(*a)[i].is_string()) return fail(path + ": must be an IP address");
    out.push_back(PODNET_TRY(parse_ip((*a)[i].get<std::string>(), path)));
  }
  return out;
}

Result<> read_affinity(const json& spec, Service& s) {
  s.sessionAffinity = PODNET_TRY(
      enum_field(spec, "sessionAffinity", "spec", SessionAffinity::None, affinity_names));
  const json* cfg = PODNET_TRY(object_at(spec, "sessionAffinityConfig", "spec", false));
  if (!cfg) return {};
  const json* cip = PODNET_TRY(object_at(*cfg, "clientIP", "spec.sessionAffinityConfig", false));
  if (!cip) return {};
  if (auto t = PODNET_TRY(opt_int(*cip, "timeoutSeconds", "spec.sessionAffinityConfig.clientIP")))
    s.affinityTimeout = *t;
  return {};
}

}  // namespace

Result<Service> service_from_json(const nlohmann::json& j) {
  auto meta = PODNET_TRY(read_meta(j, true));
  Service s;
  s.name = std::move(meta.name);
  s.ns = std::move(meta.ns);
  s.labels = std::move(meta.labels);
  const json* m = PODNET_TRY(object_at(j, "metadata", "", true));
  if (auto ts = PODNET_TRY(opt_string(*m, "creationTimestamp", "metadata")))
    s.created = PODNET_TRY(parse_timestamp(*ts, "metadata.creationTimestamp"));
  const json* spec = PODNET_TRY(object_at(j, "spec", "", true));
  s.type = PODNET_TRY(enum_field(*spec, "type", "spec", ServiceType::ClusterIP, type_names));
  s.clusterIP = PODNET_TRY(opt_ip(*spec, "clusterIP", "spec"));
  s.externalIPs = PODNET_TRY(read_external_ips(*spec));
  s.selector = PODNET_TRY(read_labels(*spec, "selector", "spec"));
  PODNET_TRY_VOID(read_affinity(*spec, s));
  s.externalTrafficPolicy = PODNET_TRY(
      enum_field(*spec, "externalTrafficPolicy", "spec", TrafficPolicy::Cluster, policy_names));
  s.internalTrafficPolicy = PODNET_TRY(
      enum_field(*spec, "internalTrafficPolicy", "spec", TrafficPolicy::Cluster, policy_names));
  if (const json* p = member(*spec, "publishNotReadyAddresses")) {
    if (!p->is_boolean()) return fail("spec.publishNotReadyAddresses: must be true or false");
    s.publishNotReadyAddresses = p->get<bool>();
  }
  const json* ports = member(*spec, "ports");
  if (!ports || !ports->is_array() || ports->empty())
    return fail("spec.ports: missing (want a non-empty array)");
  for (size_t i = 0; i < ports->size(); ++i) {
    const json& o = (*ports)[i];
    std::string path = fmt::format("spec.ports[{}]", i);
    if (!o.is_object()) return fail(fmt::format("{}: must be an object", path));
    ServicePort p;
    p.name = PODNET_TRY(opt_string(o, "name", path)).value_or("");
    p.protocol = PODNET_TRY(enum_field(o, "protocol", path, Protocol::TCP, protocol_names));
    p.port = PODNET_TRY(port_field(o, "port", path, true));
    p.targetPort = PODNET_TRY(read_target_port(o, path, p.port));
    p.nodePort = PODNET_TRY(port_field(o, "nodePort", path, false));
    s.ports.push_back(std::move(p));
  }
  s.endpoints = PODNET_TRY(read_endpoints(*spec));
  PODNET_TRY_VOID(validate(s));
  return s;
}

namespace {

Result<> validate_ports(const Service& s) {
  if (s.ports.empty()) return fail("spec.ports: missing (want a non-empty array)");
  std::set<std::string> names;
  std::set<std::pair<Protocol, uint16_t>> seen, node_ports;
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePort& p = s.ports[i];
    std::string path = fmt::format("spec.ports[{}]", i);
    if (!p.name.empty())
      PODNET_TRY_VOID(validate_dns_label(p.name, path + ".name"));
    else if (s.ports.size() > 1)
      return fail(fmt::format("{}.name: required when a service has several ports", path));
    if (!p.name.empty() && !names.insert(p.name).second)
      return fail(fmt::format("{}.name: \"{}\" used twice", path, p.name));
    if (p.port == 0) return fail(fmt::format("{}.port: 0 must be in 1..65535", path));
    if (p.targetPort.named()) {
      if (!is_port_name(p.targetPort.name))
        return fail(
            fmt::format("{}.targetPort: \"{}\" is not a port number or name (1-15 of "
                        "a-z, 0-9, '-', with a letter)",
                        path, p.targetPort.name));
    } else if (p.targetPort.number == 0) {
      return fail(fmt::format("{}.targetPort: 0 must be in 1..65535", path));
    }
    if (p.nodePort && s.type == ServiceType::ClusterIP)
      return fail(fmt::format("{}.nodePort: {} set on a ClusterIP service", path, p.nodePort));
    if (!seen.emplace(p.protocol, p.port).second)
      return fail(fmt::format("{}.port: {}/{} used twice", path, p.port, to_string(p.protocol)));
    if (p.nodePort && !node_ports.emplace(p.protocol, p.nodePort).second)
      return fail(
          fmt::format("{}.nodePort: {}/{} used twice", path, p.nodePort, to_string(p.protocol)));
  }
  return {};
}

Result<> validate_external_ips(const Service& s) {
  std::set<net::IpAddress> seen;
  for (size_t i = 0; i < s.externalIPs.size(); ++i) {
    const net::IpAddress& ip = s.externalIPs[i];
    const std::string path = fmt::format("spec.externalIPs[{}]", i);
    if (ip.is_unspecified() || ip.is_multicast() || ip.is_loopback())
      return fail(fmt::format("{}: {} cannot be an external IP", path, ip.str()));
    if (!seen.insert(ip).second) return fail(fmt::format("{}: {} listed twice", path, ip.str()));
    if (s.clusterIP && ip == *s.clusterIP)
      return fail(fmt::format("{}: {} is the service's clusterIP", path, ip.str()));
  }
  if (!s.externalIPs.empty() && s.externalTrafficPolicy == TrafficPolicy::Local)
    return fail(
        "spec.externalIPs: not with externalTrafficPolicy Local (podnet serves external IPs as "
        "policy Cluster)");
  return {};
}

Result<> validate_endpoints(const Service& s) {
  if (s.endpoints.empty()) return {};
  if (!s.selector.empty())
    return fail(
        "spec.endpoints: only for a service without selector (the selector's pods are "
        "its endpoints)");
  for (size_t i = 0; i < s.endpoints.size(); ++i) {
    const ExplicitEndpoint& e = s.endpoints[i];
    std::string path = fmt::format("spec.endpoints[{}]", i);
    if (e.ip.is_unspecified() || e.ip.is_multicast())
      return fail(fmt::format("{}: {} cannot be an endpoint", path, e.ip.str()));
    bool found = e.portName.empty();
    for (size_t k = 0; k < s.ports.size(); ++k) {
      const ServicePort& p = s.ports[k];
      if (!e.portName.empty() && p.name != e.portName) continue;
      found = true;
      if (!e.port && p.targetPort.named())
        return fail(fmt::format("{}: needs a port (spec.ports[{}].targetPort \"{}\" is a name)",
                                path, k, p.targetPort.name));
    }
    if (!found)
      return fail(
          fmt::format("{}.portName: \"{}\" is not a port of this service", path, e.portName));
  }
  return {};
}

}  // namespace

Result<> validate(const Service& s) {
  PODNET_TRY_VOID(validate_dns_label(s.name, "metadata.name"));
  PODNET_TRY_VOID(validate_dns_label(s.ns, "metadata.namespace"));
  PODNET_TRY_VOID(validate_ports(s));
  if (s.sessionAffinity == SessionAffinity::ClientIP &&
      (s.affinityTimeout < 1 || s.affinityTimeout > max_affinity_timeout))
    return fail(
        fmt::format("spec.sessionAffinityConfig.clientIP.timeoutSeconds: {} must be in "
                    "1..{}",
                    s.affinityTimeout, max_affinity_timeout));
  if (s.externalTrafficPolicy == TrafficPolicy::Local && s.type != ServiceType::NodePort)
    return fail("spec.externalTrafficPolicy: Local is only for NodePort services");
  if (s.clusterIP && (s.clusterIP->is_unspecified() || s.clusterIP->is_multicast()))
    return fail(fmt::format("spec.clusterIP: {} cannot be a service address", s.clusterIP->str()));
  PODNET_TRY_VOID(validate_external_ips(s));
  return validate_endpoints(s);
}

}  // namespace podnet::cluster
