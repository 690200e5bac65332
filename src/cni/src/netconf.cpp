#include "podnet/cni/netconf.hpp"

#include <fmt/format.h>

#include "podnet/cni/version.hpp"
#include "podnet/common/error.hpp"
#include "podnet/common/json_bounded.hpp"

namespace podnet::cni {

using nlohmann::json;

namespace {
std::unexpected<CniError> config_error(std::string m) {
  return std::unexpected(CniError(Code::invalid_config, std::move(m)));
}
std::string type_name(const json& j) { return j.type_name(); }
}  // namespace

std::expected<std::optional<std::string>, CniError> get_string(const json& obj, const char* key,
                                                               std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string())
    return config_error(fmt::format("{}{}: want a string, got {}", where, key, type_name(*it)));
  return std::optional<std::string>(it->get<std::string>());
}

std::expected<std::optional<bool>, CniError> get_bool(const json& obj, const char* key,
                                                      std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean())
    return config_error(fmt::format("{}{}: want true or false, got {}", where, key, type_name(*it)));
  return std::optional<bool>(it->get<bool>());
}

std::expected<std::optional<int64_t>, CniError> get_int(const json& obj, const char* key,
                                                        std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer())
    return config_error(fmt::format("{}{}: want an integer, got {}", where, key, type_name(*it)));
  // get<int64_t>() would wrap values above INT64_MAX to negative ones.
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX})
    return config_error(fmt::format("{}{}: {} is out of range", where, key, it->dump()));
  return std::optional<int64_t>(it->get<int64_t>());
}

std::expected<json, CniError> parse_stdin_json(std::string_view text) {
  auto j = parse_json_bounded(text, kMaxConfigDepth, kMaxConfigBytes,
                              "network configuration on stdin");
  if (!j) return std::unexpected(CniError(Code::decode_failure, std::move(j.error().message)));
  if (!j->is_object())
    return std::unexpected(
        CniError(Code::decode_failure, "network configuration on stdin is not a JSON object"));
  return std::move(*j);
}

std::optional<std::string> network_name_problem(std::string_view name) {
  // libcni's rule, ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$: the name becomes a directory name (IPAM data,
  // caches) and part of firewall comments, so "..", ".hidden" and control bytes never pass.
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty()) return "is empty";
  if (!alnum(name[0])) return "must start with a letter or digit";
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-')
      return "may contain only letters, digits, '_', '.' and '-'";
  if (name.size() > 255) return "is longer than 255 bytes (a directory name)";
  return std::nullopt;
}

std::string sniff_version(std::string_view text) {
  auto parsed = parse_stdin_json(text);
  if (parsed) {
    const json& j = *parsed;
    auto it = j.find("cniVersion");
    if (it != j.end() && it->is_string() && is_supported(it->get<std::string>()))
      return it->get<std::string>();
  }
  return std::string(kLatestVersion);
}

std::expected<NetConf, CniError> parse_netconf(std::string_view text) {
  json j = PODNET_TRY(parse_stdin_json(text));
  NetConf c;
  c.cni_version = PODNET_TRY(get_string(j, "cniVersion", "")).value_or("");
  if (c.cni_version.empty()) return config_error("cniVersion: missing");
  if (!is_supported(c.cni_version)) {
    std::string list;
    for (auto v : supported_versions()) list += (list.empty() ? "" : ", ") + std::string(v);
    return std::unexpected(CniError(
        Code::incompatible_version,
        fmt::format("cniVersion: unsupported version '{}' (supported: {})", c.cni_version, list)));
  }
  c.name = PODNET_TRY(get_string(j, "name", "")).value_or("");
  if (c.name.empty()) return config_error("name: missing network name");
  if (auto p = network_name_problem(c.name))
    return config_error(fmt::format("name: invalid network name '{}': {}", c.name, *p));
  c.type = PODNET_TRY(get_string(j, "type", "")).value_or("");
  if (c.type.empty()) return config_error("type: missing plugin type");
  auto object_or_null = [&](const char* key) -> std::expected<json, CniError> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return json();
    if (!it->is_object())
      return config_error(fmt::format("{}: want an object, got {}", key, type_name(*it)));
    return *it;
  };
  c.ipam = PODNET_TRY(object_or_null("ipam"));
  c.runtime_config = PODNET_TRY(object_or_null("runtimeConfig"));
  c.args = PODNET_TRY(object_or_null("args"));
  if (auto it = j.find("prevResult"); it != j.end() && !it->is_null()) {
    auto r = result_from_json(*it);
    if (!r) {
      auto e = r.error();
      e.msg = "prevResult: " + e.msg;
      return std::unexpected(e);
    }
    c.prev_result = std::move(*r);
  }
  c.raw = std::move(j);
  return c;
}

}  // namespace podnet::cni
