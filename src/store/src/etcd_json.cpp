#include "etcd_json.hpp"

#include <charconv>

#include "keys.hpp"

namespace podnet::store::etcd {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}
}  // namespace

std::string b64encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> b64decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = b64value(c);
    if (v < 0) return fail(fmt::format("bad base64 character '{}'", c));
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

namespace {

std::unexpected<Error> bad(const char* name, const nlohmann::json& v, std::string_view want) {
  std::string shown = v.dump();
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return fail(ErrorKind::invalid_answer,
              fmt::format("etcd answer: field {} is {} where {} belongs", name, shown, want));
}

// The member `name` of obj, nullptr when absent or null; an error when obj is not an object.
Result<const nlohmann::json*> find(const nlohmann::json& obj, const char* name) {
  if (obj.is_null()) return nullptr;
  if (!obj.is_object()) return bad(name, obj, "an object holding it");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Result<std::int64_t> i64(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (!v) return 0;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    std::int64_t out = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (!s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size()) return out;
  }
  return bad(name, *v, "a 64-bit integer");
}

Result<bool> flag(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (!v) return false;
  if (!v->is_boolean()) return bad(name, *v, "true or false");
  return v->get<bool>();
}

Result<std::string> str(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (!v) return std::string();
  if (!v->is_string()) return bad(name, *v, "a string");
  return v->get<std::string>();
}

Result<const nlohmann::json*> object(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (v && !v->is_object()) return bad(name, *v, "an object");
  return v;
}

Result<const nlohmann::json*> array(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (v && !v->is_array()) return bad(name, *v, "an array");
  return v;
}

Result<std::string> bytes(const nlohmann::json& obj, const char* name) {
  const nlohmann::json* v = PODNET_TRY(find(obj, name));
  if (!v) return std::string();
  if (!v->is_string()) return bad(name, *v, "a base64 string");
  auto r = b64decode(v->get_ref<const std::string&>());
  if (!r) {
    Error e = r.error().context(fmt::format("etcd answer: field {}", name));
    e.kind = ErrorKind::invalid_answer;
    return fail(std::move(e));
  }
  return r;
}

Result<KeyValue> to_kv(const nlohmann::json& kv) {
  if (!kv.is_object()) return bad("kv", kv, "an object");
  KeyValue out;
  out.key = PODNET_TRY(bytes(kv, "key"));
  out.value = PODNET_TRY(bytes(kv, "value"));
  out.create_revision = PODNET_TRY(i64(kv, "create_revision"));
  out.mod_revision = PODNET_TRY(i64(kv, "mod_revision"));
  out.lease = PODNET_TRY(i64(kv, "lease"));
  return out;
}

nlohmann::json prefix_range(std::string_view prefix) {
  // etcd: key "\0" with range_end "\0" means every key.
  if (prefix.empty()) return {{"key", b64encode(std::string(1, '\0'))}, {"range_end", b64encode(std::string(1, '\0'))}};
  std::string end = prefix_end(prefix);
  if (end.empty()) end.assign(1, '\0');  // all 0xff: up to the end of the key space
  return {{"key", b64encode(prefix)}, {"range_end", b64encode(end)}};
}

Failure classify(long http_status, int grpc_code, std::string_view error) {
  // etcd's rpctypes error texts for the cases a code alone does not settle.
  if (error == "etcdserver: requested lease not found") return {ErrorKind::lease_not_found};
  if (error == "etcdserver: mvcc: required revision has been compacted" ||
      error == "mvcc: required revision has been compacted")
    return {ErrorKind::compacted};
  if (error == "etcdserver: no leader" || error == "etcdserver: not capable")
    return {ErrorKind::unavailable, true, true};
  switch (grpc_code) {
    case 5:  // NotFound
      return {ErrorKind::not_found};
    case 14:  // Unavailable: timed out, leader changed, stopping: maybe applied
      return {ErrorKind::unavailable, true, false};
    case 16:  // Unauthenticated: the token expired or is not known (any more)
      return {ErrorKind::unauthenticated};
    default:
      break;
  }
  if (http_status == 401) return {ErrorKind::unauthenticated};
  if (http_status == 503) return {ErrorKind::unavailable, true, false};
  return {};
}

}  // namespace podnet::store::etcd
