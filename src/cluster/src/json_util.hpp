#pragma once
// Field readers for the cluster objects: every error is one line naming the field by its
// JSON path ("spec.ports[0].port: must be an integer").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster::detail {

using nlohmann::json;

inline std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// The member `key` of object `j`, or nullptr when absent or null. `j` must be an object.
inline const json* member(const json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

inline Result<const json*> object_at(const json& j, std::string_view key, std::string_view path,
                                     bool required) {
  const json* m = member(j, key);
  if (!m) {
    if (required) return fail(fmt::format("{}: missing", join(path, key)));
    return nullptr;
  }
  if (!m->is_object()) return fail(fmt::format("{}: must be an object", join(path, key)));
  return m;
}

inline Result<std::optional<std::string>> opt_string(const json& j, std::string_view key,
                                                     std::string_view path) {
  const json* m = member(j, key);
  if (!m) return std::optional<std::string>{};
  if (!m->is_string()) return fail(fmt::format("{}: must be a string", join(path, key)));
  return std::optional<std::string>(m->get<std::string>());
}

inline Result<std::string> req_string(const json& j, std::string_view key, std::string_view path) {
  auto s = PODNET_TRY(opt_string(j, key, path));
  if (!s) return fail(fmt::format("{}: missing", join(path, key)));
  return std::move(*s);
}

inline Result<std::optional<int64_t>> opt_int(const json& j, std::string_view key,
                                              std::string_view path) {
  const json* m = member(j, key);
  if (!m) return std::optional<int64_t>{};
  if (!m->is_number_integer()) return fail(fmt::format("{}: must be an integer", join(path, key)));
  if (m->is_number_unsigned() && m->get<uint64_t>() > uint64_t(INT64_MAX))
    return fail(fmt::format("{}: out of range", join(path, key)));
  return std::optional<int64_t>(m->get<int64_t>());
}

inline Result<net::IpAddress> parse_ip(const std::string& text, std::string_view field) {
  auto ip = net::IpAddress::parse(text);
  if (!ip) return fail(fmt::format("{}: \"{}\" is not an IP address", field, text));
  return *ip;
}

// A network prefix with no host bits set.
inline Result<net::Prefix> parse_cidr(const std::string& text, std::string_view field) {
  auto p = net::Prefix::parse(text);
  if (!p) return fail(fmt::format("{}: \"{}\" is not a CIDR", field, text));
  if (p->masked() != *p)
    return fail(fmt::format("{}: {} has host bits set (did you mean {}?)", field, text,
                            p->masked().str()));
  return *p;
}

}  // namespace podnet::cluster::detail
