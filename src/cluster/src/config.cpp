#include "podnet/common/json_bounded.hpp"
#include "podnet/cluster/config.hpp"

#include "json_util.hpp"

namespace podnet::cluster {

using namespace detail;

std::string_view to_string(BackendType t) {
  return t == BackendType::vxlan ? "vxlan" : "host-gw";
}

Result<> validate(const ClusterConfig& c) {
  const auto& cl = c.clusterCIDR;
  if (cl.masked() != cl)
    return fail(fmt::format("clusterCIDR: {} has host bits set (did you mean {}?)", cl.str(),
                            cl.masked().str()));
  // A node subnet needs room for a gateway, pods and (IPv4) the broadcast address; /30 is
  // the smallest IPv4 subnet that still holds one pod. IPv6 stops at /126 for the same reason.
  const int max_len = cl.is_v4() ? 30 : 126;
  if (c.nodeSubnetLen <= cl.length() || c.nodeSubnetLen > max_len)
    return fail(fmt::format("nodeSubnetLen: {} must be in ({}, {}] for clusterCIDR {}",
                            c.nodeSubnetLen, cl.length(), max_len, cl.str()));
  const auto& sv = c.serviceCIDR;
  if (sv.masked() != sv)
    return fail(fmt::format("serviceCIDR: {} has host bits set (did you mean {}?)", sv.str(),
                            sv.masked().str()));
  if (sv.family() != cl.family())
    return fail(
        fmt::format("serviceCIDR: {} is not of the family of clusterCIDR {}", sv.str(), cl.str()));
  if (sv.overlaps(cl))
    return fail(fmt::format("serviceCIDR: {} overlaps clusterCIDR {}", sv.str(), cl.str()));
  if (c.nodePortRange.min < 1 || c.nodePortRange.max < 1 ||
      c.nodePortRange.min > c.nodePortRange.max)
    return fail(fmt::format("nodePortRange: {}-{} must satisfy 1 <= min <= max <= 65535",
                            c.nodePortRange.min, c.nodePortRange.max));
  if (c.backend.type == BackendType::vxlan) {
    if (c.backend.vni < 1 || c.backend.vni > 16777215)
      return fail(fmt::format("backend.vni: {} must be in 1..16777215", c.backend.vni));
    if (c.backend.port < 1)
      return fail(fmt::format("backend.port: {} must be in 1..65535", c.backend.port));
  } else if (c.backend.directRouting) {
    return fail(
        "backend.directRouting: only for the vxlan backend (host-gw routes directly anyway)");
  }
  return {};
}

nlohmann::json to_json(const ClusterConfig& c) {
  json b = {{"type", to_string(c.backend.type)}};
  if (c.backend.type == BackendType::vxlan) {
    b["vni"] = c.backend.vni;
    b["port"] = c.backend.port;
    if (c.backend.directRouting) b["directRouting"] = true;
  }
  return json{{"clusterCIDR", c.clusterCIDR.str()},
              {"nodeSubnetLen", c.nodeSubnetLen},
              {"serviceCIDR", c.serviceCIDR.str()},
              {"nodePortRange", {{"min", c.nodePortRange.min}, {"max", c.nodePortRange.max}}},
              {"backend", b}};
}

namespace {

Result<int64_t> int_in(const json& j, std::string_view key, std::string_view path, int64_t dflt,
                       int64_t lo, int64_t hi) {
  auto v = PODNET_TRY(opt_int(j, key, path));
  if (!v) return dflt;
  if (*v < lo || *v > hi)
    return fail(fmt::format("{}: {} must be in {}..{}", join(path, key), *v, lo, hi));
  return *v;
}

}  // namespace

Result<ClusterConfig> config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("config: must be a JSON object");
  ClusterConfig c;
  c.clusterCIDR =
      PODNET_TRY(parse_cidr(PODNET_TRY(req_string(j, "clusterCIDR", "")), "clusterCIDR"));
  c.nodeSubnetLen = int(PODNET_TRY(int_in(j, "nodeSubnetLen", "", 24, 0, 128)));
  if (auto s = PODNET_TRY(opt_string(j, "serviceCIDR", "")))
    c.serviceCIDR = PODNET_TRY(parse_cidr(*s, "serviceCIDR"));
  if (const json* r = PODNET_TRY(object_at(j, "nodePortRange", "", false))) {
    c.nodePortRange.min = uint16_t(PODNET_TRY(int_in(*r, "min", "nodePortRange", 30000, 1, 65535)));
    c.nodePortRange.max = uint16_t(PODNET_TRY(int_in(*r, "max", "nodePortRange", 32767, 1, 65535)));
  }
  if (const json* b = PODNET_TRY(object_at(j, "backend", "", false))) {
    if (auto t = PODNET_TRY(opt_string(*b, "type", "backend"))) {
      if (*t == "vxlan")
        c.backend.type = BackendType::vxlan;
      else if (*t == "host-gw")
        c.backend.type = BackendType::host_gw;
      else
        return fail(
            fmt::format("backend.type: unknown backend \"{}\" (want vxlan or host-gw)", *t));
    }
    c.backend.vni = uint32_t(PODNET_TRY(int_in(*b, "vni", "backend", 1, 1, 16777215)));
    c.backend.port = uint16_t(PODNET_TRY(int_in(*b, "port", "backend", 8472, 1, 65535)));
    if (const json* d = member(*b, "directRouting")) {
      if (!d->is_boolean()) return fail("backend.directRouting: must be true or false");
      c.backend.directRouting = d->get<bool>();
    }
  }
  PODNET_TRY_VOID(validate(c));
  return c;
}

Result<ClusterConfig> parse_config(std::string_view text) {
  auto j = PODNET_TRY(
      parse_json_bounded(text, json_default_max_depth, json_default_max_bytes, config_key));
  return config_from_json(j);
}

}  // namespace podnet::cluster
