#pragma once
// The network configuration a plugin reads on stdin: the fields common to every plugin.
// Plugin-specific keys are read from `raw` by the plugin itself.
#include <expected>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/cni/error.hpp"
#include "podnet/cni/result.hpp"

namespace podnet::cni {

struct NetConf {
  std::string cni_version;
  std::string name;
  std::string type;
  nlohmann::json ipam;            // object or null
  nlohmann::json runtime_config;  // object or null
  nlohmann::json args;            // object or null
  std::optional<Result> prev_result;
  nlohmann::json raw;             // the whole document
};

// Limits on the configuration document: runtimes pass what users wrote, and nlohmann::json
// copies recurse, so nesting is bounded before a tree is built (real configs nest < 10 deep).
inline constexpr size_t kMaxConfigDepth = 64;
inline constexpr size_t kMaxConfigBytes = size_t{16} << 20;

// The stdin document as a JSON object within those limits; code 6 otherwise.
std::expected<nlohmann::json, CniError> parse_stdin_json(std::string_view text);

// Parses and validates the common keys. Codes: 6 when stdin is not a JSON object or a key
// has the wrong type, 7 for a missing/invalid value, 1 for an unsupported cniVersion.
std::expected<NetConf, CniError> parse_netconf(std::string_view text);

// Why `name` is not a valid network name (libcni's ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$, at most 255
// bytes), or nullopt.
std::optional<std::string> network_name_problem(std::string_view name);

// Best-effort cniVersion of a document, for answering errors in the caller's version.
std::string sniff_version(std::string_view text);

// Typed getters on a JSON object for plugin-specific keys; errors name the key (code 7 for
// a wrong type, since the document itself decoded).
std::expected<std::optional<std::string>, CniError> get_string(const nlohmann::json& obj,
                                                               const char* key,
                                                               std::string_view where);
std::expected<std::optional<bool>, CniError> get_bool(const nlohmann::json& obj, const char* key,
                                                      std::string_view where);
std::expected<std::optional<int64_t>, CniError> get_int(const nlohmann::json& obj,
                                                        const char* key, std::string_view where);

}  // namespace podnet::cni
