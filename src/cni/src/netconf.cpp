#include "podnet/cni/netconf.hpp"

#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/cni/version.hpp"

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

std::string sniff_version(std::string_view text) {
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("cniVersion");
    if (it != j.end() && it->is_string() && is_supported(it->get<std::string>()))
      return it->get<std::string>();
  }
  return std::string(kLatestVersion);
}

std::expected<NetConf, CniError> parse_netconf(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return std::unexpected(
        CniError(Code::decode_failure, "network configuration on stdin is not valid JSON"));
  if (!j.is_object())
    return std::unexpected(
        CniError(Code::decode_failure, "network configuration on stdin is not a JSON object"));
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
