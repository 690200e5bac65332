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

std::int64_t i64(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  return 0;
}

Result<std::string> bytes(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::string();
  auto r = b64decode(it->get_ref<const std::string&>());
  if (!r) return fail(r.error().context(fmt::format("etcd field {}", name)));
  return r;
}

Result<KeyValue> to_kv(const nlohmann::json& kv) {
  KeyValue out;
  out.key = PODNET_TRY(bytes(kv, "key"));
  out.value = PODNET_TRY(bytes(kv, "value"));
  out.create_revision = i64(kv, "create_revision");
  out.mod_revision = i64(kv, "mod_revision");
  out.lease = i64(kv, "lease");
  return out;
}

nlohmann::json prefix_range(std::string_view prefix) {
  // etcd: key "\0" with range_end "\0" means every key.
  if (prefix.empty()) return {{"key", b64encode(std::string(1, '\0'))}, {"range_end", b64encode(std::string(1, '\0'))}};
  std::string end = prefix_end(prefix);
  if (end.empty()) end.assign(1, '\0');  // all 0xff: up to the end of the key space
  return {{"key", b64encode(prefix)}, {"range_end", b64encode(end)}};
}

}  // namespace podnet::store::etcd
