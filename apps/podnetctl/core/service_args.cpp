#include "core/service_args.hpp"

#include <charconv>
#include <set>

#include <fmt/format.h>

namespace podnet::ctl {
namespace {

std::optional<uint16_t> port_number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) return std::nullopt;
  return uint16_t(v);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A target given as a number or a container port name (checked by cluster::validate).
Result<cluster::TargetPort> target_of(std::string_view text, std::string_view flag) {
  if (all_digits(text)) {
    auto n = port_number(text);
    if (!n) return fail(fmt::format("{}: target port {} must be in 1..65535", flag, text));
    return cluster::TargetPort(*n);
  }
  PODNET_TRY_VOID(cluster::validate_dns_label(text, flag));
  return cluster::TargetPort(std::string(text));
}

}  // namespace

Result<cluster::ServicePort> parse_port_spec(std::string_view spec, cluster::Protocol protocol,
                                             std::string_view flag) {
  const auto colon = spec.find(':');
  const std::string_view port_text = spec.substr(0, colon);
  auto port = port_number(port_text);
  if (!port)
    return fail(fmt::format("{}: \"{}\" is not PORT[:TARGET] with PORT in 1..65535", flag, spec));
  cluster::ServicePort p;
  p.protocol = protocol;
  p.port = *port;
  p.targetPort = *port;
  if (colon != std::string_view::npos) {
    std::string_view target = spec.substr(colon + 1);
    if (target.empty() || target.find(':') != std::string_view::npos)
      return fail(fmt::format("{}: \"{}\" is not PORT[:TARGET]", flag, spec));
    p.targetPort = PODNET_TRY(target_of(target, flag));
  }
  p.name = std::string(spec);
  for (auto& c : p.name)
    if (c == ':') c = '-';
  return p;
}

Result<cluster::Service> service_from_create(const CreateServiceArgs& a) {
  PODNET_TRY_VOID(cluster::validate_dns_label(a.name, "NAME"));
  cluster::Service s;
  s.ns = a.ns;
  s.name = a.name;
  s.type = a.type;
  s.labels = {{"app", a.name}};
  s.selector = s.labels;
  std::set<std::string> names;
  for (const auto& spec : a.tcp) {
    auto p = PODNET_TRY(parse_port_spec(spec, cluster::Protocol::TCP, "--tcp"));
    if (!names.insert(p.name).second) return fail(fmt::format("--tcp: port {} given twice", spec));
    s.ports.push_back(std::move(p));
  }
  for (const auto& spec : a.udp) {
    auto p = PODNET_TRY(parse_port_spec(spec, cluster::Protocol::UDP, "--udp"));
    if (names.contains(p.name)) p.name += "-udp";
    if (!names.insert(p.name).second) return fail(fmt::format("--udp: port {} given twice", spec));
    s.ports.push_back(std::move(p));
  }
  if (s.ports.empty()) return fail("--tcp: at least one --tcp or --udp port must be given");
  if (a.node_port) {
    if (a.type != cluster::ServiceType::NodePort)
      return fail("--node-port: only for `create service nodeport`");
    if (a.node_port < 1 || a.node_port > 65535)
      return fail(fmt::format("--node-port: {} must be in 1..65535", a.node_port));
    if (s.ports.size() > 1)
      return fail("--node-port: only with a single port (each port needs its own nodePort)");
    s.ports[0].nodePort = uint16_t(a.node_port);
  }
  PODNET_TRY_VOID(cluster::validate(s));
  return s;
}

Result<cluster::Service> service_from_expose(const ExposeArgs& a, const cluster::Deployment& d) {
  cluster::Service s;
  s.ns = a.ns;
  s.name = a.name.empty() ? d.name : a.name;
  PODNET_TRY_VOID(cluster::validate_dns_label(s.name, "--name"));
  if (a.type == "ClusterIP")
    s.type = cluster::ServiceType::ClusterIP;
  else if (a.type == "NodePort")
    s.type = cluster::ServiceType::NodePort;
  else
    return fail(
        fmt::format("--type: \"{}\" is not supported (want ClusterIP or NodePort)", a.type));
  cluster::ServicePort p;
  if (a.protocol == "TCP")
    p.protocol = cluster::Protocol::TCP;
  else if (a.protocol == "UDP")
    p.protocol = cluster::Protocol::UDP;
  else if (a.protocol == "SCTP")
    p.protocol = cluster::Protocol::SCTP;
  else
    return fail(fmt::format("--protocol: \"{}\" is not TCP, UDP or SCTP", a.protocol));
  const int64_t port = a.port.value_or(d.port);
  if (port < 1 || port > 65535) return fail(fmt::format("--port: {} must be in 1..65535", port));
  p.port = uint16_t(port);
  p.targetPort = a.target_port.empty() ? cluster::TargetPort(p.port)
                                       : PODNET_TRY(target_of(a.target_port, "--target-port"));
  s.ports.push_back(std::move(p));
  // kubectl's --external-ip: one address or a comma-separated list.
  for (std::string_view rest = a.external_ip; !rest.empty();) {
    const auto comma = rest.find(',');
    const std::string one(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto ip = net::IpAddress::parse(one);
    if (!ip) return fail(fmt::format("--external-ip: \"{}\" is not an IP address", one));
    s.externalIPs.push_back(*ip);
  }
  s.labels = d.labels;
  s.selector = d.selector;
  PODNET_TRY_VOID(cluster::validate(s));
  return s;
}

}  // namespace podnet::ctl
