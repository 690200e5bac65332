#include "podnet/plugin/conf.hpp"

#include <fmt/format.h>

#include "podnet/common/hash.hpp"
#include "podnet/net/gso.hpp"

#include "podnet/common/error.hpp"

namespace podnet::plugin {

using cni::Code;
using cni::CniError;
using nlohmann::json;

namespace {

std::unexpected<CniError> invalid(std::string m) {
  return std::unexpected(CniError(Code::invalid_config, std::move(m)));
}

bool valid_mac(std::string_view s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  // A unicast address: the group bit of the first octet is clear.
  return (std::stoi(std::string(s.substr(0, 2)), nullptr, 16) & 1) == 0;
}

// Keys of CNI_ARGS the plugin understands; others need IgnoreUnknown=1 (as in libcni).
bool known_arg(std::string_view k) {
  return k == "IgnoreUnknown" || k == "MAC" || k == "IP" || k == "K8S_POD_NAMESPACE" ||
         k == "K8S_POD_NAME" || k == "K8S_POD_INFRA_CONTAINER_ID" || k == "K8S_POD_UID";
}

}  // namespace

std::expected<PluginConf, CniError> parse_conf(const cni::NetConf& net, const cni::Env& env) {
  PluginConf c;
  c.net = net;
  const json& j = net.raw;
  if (auto mode = PODNET_TRY(cni::get_string(j, "mode", ""))) {
    if (*mode == "bridge") c.mode = Mode::bridge;
    else if (*mode == "ptp") c.mode = Mode::ptp;
    else return invalid(fmt::format("mode: '{}' is not 'bridge' or 'ptp'", *mode));
  }
  if (auto b = PODNET_TRY(cni::get_string(j, "bridge", ""))) {
    if (auto p = cni::interface_name_problem(*b))
      return invalid(fmt::format("bridge: interface name '{}' {}", *b, *p));
    c.bridge = *b;
  }
  if (auto mtu = PODNET_TRY(cni::get_int(j, "mtu", ""))) {
    if (*mtu == 0) {
      // 0 means "default", as with the reference plugins.
    } else if (*mtu < 68 || *mtu > 65535) {
      return invalid(fmt::format("mtu: {} is outside 68..65535", *mtu));
    } else {
      c.mtu = static_cast<int>(*mtu);
    }
  }
  if (auto gso = PODNET_TRY(cni::get_int(j, "gsoMaxSize", ""))) {
    if (*gso < 0 || !net::valid_gso_max_size(uint64_t(*gso)))
      return invalid(fmt::format("gsoMaxSize: {} is outside {}..{} (0 or absent: the kernel's {})",
                                 *gso, net::kLegacyGsoMaxSize, net::kVethGsoMaxSize,
                                 net::kLegacyGsoMaxSize));
    c.gso_max_size = static_cast<uint32_t>(*gso);
  }
  auto flag = [&](const char* key, bool& out) -> std::expected<void, CniError> {
    if (auto v = PODNET_TRY(cni::get_bool(j, key, ""))) out = *v;
    return {};
  };
  PODNET_TRY(flag("isGateway", c.is_gateway));
  PODNET_TRY(flag("isDefaultGateway", c.is_default_gateway));
  PODNET_TRY(flag("forceAddress", c.force_address));
  PODNET_TRY(flag("hairpinMode", c.hairpin_mode));
  PODNET_TRY(flag("promiscMode", c.promisc_mode));
  PODNET_TRY(flag("ipMasq", c.ip_masq));
  // The reference plugin: isDefaultGateway implies isGateway.
  if (c.is_default_gateway && j.contains("isDefaultGateway")) c.is_gateway = true;
  // Turning the gateway off without saying more also drops the default route through it.
  if (!c.is_gateway && !j.contains("isDefaultGateway")) c.is_default_gateway = false;
  if (c.mode == Mode::ptp && j.contains("bridge"))
    return invalid("bridge: not used in ptp mode (remove it or set mode to bridge)");

  if (c.promisc_mode)
    return std::unexpected(CniError(Code::unsupported_field, "promiscMode: not supported by podnet (hairpinMode covers a pod reaching itself)"));
  if (auto vlan = PODNET_TRY(cni::get_int(j, "vlan", "")); vlan && *vlan != 0)
    return std::unexpected(CniError(Code::unsupported_field, "vlan: VLAN tagging is not supported by podnet"));
  if (auto spoof = PODNET_TRY(cni::get_bool(j, "macspoofchk", "")); spoof && *spoof)
    return std::unexpected(CniError(Code::unsupported_field, "macspoofchk: not supported by podnet"));

  if (net.ipam.is_null()) return invalid("ipam: missing (e.g. {\"type\": \"podnet-ipam\", \"ranges\": ...})");
  if (auto t = PODNET_TRY(cni::get_string(net.ipam, "type", "ipam."))) {
    if (t->empty() || t->find('/') != std::string::npos || t->find('\0') != std::string::npos)
      return invalid(fmt::format("ipam.type: invalid plugin name '{}'", *t));
    c.ipam_type = *t;
  }

  // MAC: CNI_ARGS, then args.cni.mac, then runtimeConfig.mac (the runtime's word wins).
  for (const auto& [k, v] : env.args) {
    if (!known_arg(k) && env.arg("IgnoreUnknown").value_or("") != "1" &&
        env.arg("IgnoreUnknown").value_or("") != "true")
      return std::unexpected(CniError(
          Code::invalid_env, fmt::format("CNI_ARGS: unknown key '{}' (set IgnoreUnknown=1 to allow)", k)));
  }
  if (auto m = env.arg("MAC")) c.mac = *m;
  if (net.args.is_object() && net.args.contains("cni") && net.args["cni"].is_object()) {
    if (auto m = PODNET_TRY(cni::get_string(net.args["cni"], "mac", "args.cni."))) c.mac = *m;
  }
  if (net.runtime_config.is_object()) {
    if (auto m = PODNET_TRY(cni::get_string(net.runtime_config, "mac", "runtimeConfig."))) c.mac = *m;
  }
  if (c.mac && !valid_mac(*c.mac))
    return invalid(fmt::format("mac: '{}' is not a unicast MAC address like 0a:58:c0:a8:04:02", *c.mac));

  if (auto f = PODNET_TRY(cni::get_string(j, "logFile", ""))) {
    if (f->find('\0') != std::string::npos) return invalid("logFile: path contains a NUL byte");
    if (!f->empty() && f->front() != '/')
      return invalid(fmt::format("logFile: '{}' is not an absolute path", *f));
    c.log_file = *f;
  }
  if (auto l = PODNET_TRY(cni::get_string(j, "logLevel", ""))) {
    if (*l != "debug" && *l != "info" && *l != "warn" && *l != "error")
      return invalid(fmt::format("logLevel: '{}' is not debug, info, warn or error", *l));
    c.log_level = *l;
  }
  return c;
}

std::string host_veth_name(std::string_view container_id, std::string_view ifname) {
  uint64_t h = stable_hash64(fmt::format("{}/{}", container_id, ifname));
  return fmt::format("pn{:012x}", h & 0xffffffffffffull);
}

}  // namespace podnet::plugin
