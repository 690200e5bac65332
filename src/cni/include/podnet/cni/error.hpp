#pragma once
// CNI error results (SPEC.md "Error"): well-known codes and the JSON shape.
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace podnet::cni {

enum class Code : int {
  incompatible_version = 1,
  unsupported_field = 2,
  unknown_container = 3,
  invalid_env = 4,
  io_failure = 5,
  decode_failure = 6,
  invalid_config = 7,
  try_again_later = 11,
  plugin_not_available = 50,           // STATUS: cannot serve ADD now
  plugin_not_available_limited = 51,   // STATUS: limited connectivity
  // 100+: podnet's own
  internal = 100,
  ipam_exhausted = 101,  // pool has no free address (ADD); STATUS reports 50
  ipam_failure = 102,    // delegated IPAM plugin failed
  check_drift = 103,     // CHECK found reality differing from prevResult
};

struct CniError {
  Code code = Code::internal;
  std::string msg;
  std::string details;

  CniError() = default;
  CniError(Code c, std::string m, std::string d = {})
      : code(c), msg(std::move(m)), details(std::move(d)) {}

  // {"cniVersion", "code", "msg", "details"?}
  nlohmann::json to_json(const std::string& cni_version) const;
  static CniError from_json(const nlohmann::json& j);
};

}  // namespace podnet::cni
