#pragma once
// The etcd v3 JSON gateway's encoding: base64 keys and values, int64 as decimal strings,
// zero-valued fields left out. Every accessor checks the type it reads: an answer of the wrong
// shape is an error (kind invalid_answer), never an exception and never a silent zero.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::store::etcd {

std::string b64encode(std::string_view in);
Result<std::string> b64decode(std::string_view in);

// An int64 field (decimal string or integer); 0 when absent (or obj is null).
Result<std::int64_t> i64(const nlohmann::json& obj, const char* name);
// A bool field; false when absent.
Result<bool> flag(const nlohmann::json& obj, const char* name);
// A string field; "" when absent.
Result<std::string> str(const nlohmann::json& obj, const char* name);
// A member that must be an object (or array): nullptr when absent or null.
Result<const nlohmann::json*> object(const nlohmann::json& obj, const char* name);
Result<const nlohmann::json*> array(const nlohmann::json& obj, const char* name);
// A base64 field decoded; "" when absent.
Result<std::string> bytes(const nlohmann::json& obj, const char* name);
// mvccpb.KeyValue -> KeyValue.
Result<KeyValue> to_kv(const nlohmann::json& kv);
// {"key": .., "range_end": ..} for a prefix ("" = every key).
nlohmann::json prefix_range(std::string_view prefix);

// How an etcd error answer ({"error": msg, "code": gRPC code}, or a bare HTTP status) is
// handled: its kind for callers, and whether another member may be asked. etcd's errors are
// identified by gRPC code and, where a code covers several (Unavailable: "no leader" was
// surely not applied, "request timed out" may have been), by etcd's exact error text, as its
// own client does (rpctypes).
struct Failure {
  ErrorKind kind = ErrorKind::other;
  bool unavailable = false;  // this member cannot serve now: another may
  bool not_applied = false;  // the request surely had no effect
};
Failure classify(long http_status, int grpc_code, std::string_view error);

}  // namespace podnet::store::etcd
