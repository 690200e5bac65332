#pragma once
// The etcd v3 JSON gateway's encoding: base64 keys and values, int64 as decimal strings,
// zero-valued fields left out.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::store::etcd {

std::string b64encode(std::string_view in);
Result<std::string> b64decode(std::string_view in);

// An int64 field (string or number); 0 when absent.
std::int64_t i64(const nlohmann::json& obj, const char* name);
// A base64 field decoded; "" when absent.
Result<std::string> bytes(const nlohmann::json& obj, const char* name);
// mvccpb.KeyValue -> KeyValue.
Result<KeyValue> to_kv(const nlohmann::json& kv);
// {"key": .., "range_end": ..} for a prefix ("" = every key).
nlohmann::json prefix_range(std::string_view prefix);

}  // namespace podnet::store::etcd
