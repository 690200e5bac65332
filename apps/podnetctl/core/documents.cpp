#include "core/documents.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "podnet/common/json_bounded.hpp"

namespace podnet::ctl {
namespace {

using nlohmann::json;

bool all_of(std::string_view s, size_t from, bool (*pred)(char)) {
  if (from >= s.size()) return false;
  for (size_t i = from; i < s.size(); ++i)
    if (!pred(s[i])) return false;
  return true;
}
bool is_dec(char c) {
  return c >= '0' && c <= '9';
}
bool is_oct(char c) {
  return c >= '0' && c <= '7';
}
bool is_hex(char c) {
  return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// An integer of YAML 1.2's core schema, or nullopt. Values beyond 64 bits become doubles (as a
// JSON reader would).
std::optional<json> core_int(std::string_view s) {
  int base = 10;
  std::string_view digits = s;
  bool negative = false;
  if (s.starts_with("0x") && all_of(s, 2, is_hex)) {
    base = 16;
    digits = s.substr(2);
  } else if (s.starts_with("0o") && all_of(s, 2, is_oct)) {
    base = 8;
    digits = s.substr(2);
  } else {
    size_t from = (s.starts_with('-') || s.starts_with('+')) ? 1 : 0;
    if (!all_of(s, from, is_dec)) return std::nullopt;
    negative = s[0] == '-';
    digits = s.substr(from);
  }
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
  if (ec == std::errc() && p == digits.data() + digits.size()) {
    if (!negative) return json(u);
    if (u <= uint64_t(INT64_MAX) + 1) return json(int64_t(0 - u));
  }
  return json(std::strtod(std::string(s).c_str(), nullptr));
}

// A float of the core schema ([-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?, .inf, .nan), or nullopt.
std::optional<json> core_float(std::string_view s) {
  std::string_view t = s;
  if (t.starts_with('-') || t.starts_with('+')) t.remove_prefix(1);
  if (t == ".inf" || t == ".Inf" || t == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN")
    return std::nullopt;  // JSON has no infinities or NaN: keep the text
  size_t i = 0, digits = 0;
  while (i < t.size() && is_dec(t[i])) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_dec(t[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (!all_of(t, i, is_dec)) return std::nullopt;
    i = t.size();
  }
  if (i != t.size()) return std::nullopt;
  double d = std::strtod(std::string(s).c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  return json(d);
}

// A plain (unquoted, untagged) scalar typed by the core schema.
json plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (auto i = core_int(s)) return *i;
  if (auto f = core_float(s)) return *f;
  return s;
}

struct Converter {
  std::string_view what;
  size_t max_depth;
  size_t max_values;
  size_t values = 0;

  Result<json> convert(const YAML::Node& n, size_t depth) {
    if (++values > max_values)
      return fail(
          fmt::format("{}: more than {} values (aliases expanding too far?)", what, max_values));
    auto where = [&] { return fmt::format("{}: line {}", what, n.Mark().line + 1); };
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar: {
        const std::string& tag = n.Tag();
        if (tag == "?") return plain_scalar(n.Scalar());
        if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(n.Scalar());
        if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
            tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
          json v = plain_scalar(n.Scalar());
          if (!v.is_string()) return v;
        }
        return fail(fmt::format("{}: unsupported tag {} on \"{}\"", where(), tag, n.Scalar()));
      }
      case YAML::NodeType::Sequence: {
        if (depth + 1 > max_depth)
          return fail(fmt::format("{}: nesting deeper than {} levels", where(), max_depth));
        json a = json::array();
        for (const auto& item : n) a.push_back(PODNET_TRY(convert(item, depth + 1)));
        return a;
      }
      case YAML::NodeType::Map: {
        if (depth + 1 > max_depth)
          return fail(fmt::format("{}: nesting deeper than {} levels", where(), max_depth));
        json o = json::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar())
            return fail(fmt::format("{}: a map key must be a plain value", where()));
          const std::string& key = kv.first.Scalar();
          if (o.contains(key))
            return fail(fmt::format("{}: key \"{}\" appears twice", where(), key));
          o[key] = PODNET_TRY(convert(kv.second, depth + 1));
        }
        return o;
      }
    }
    return json(nullptr);
  }
};

// The document's `kind` ends in "List" and it has items: kubectl's test for a list.
bool is_list(const json& doc) {
  auto k = doc.find("kind");
  return k != doc.end() && k->is_string() && k->get_ref<const std::string&>().ends_with("List") &&
         doc.contains("items");
}

Result<> flatten(json&& doc, std::string_view where, std::vector<json>& out) {
  if (doc.is_null()) return {};
  if (!doc.is_object())
    return fail(fmt::format("{}: want an object with apiVersion, kind and metadata", where));
  if (!is_list(doc)) {
    out.push_back(std::move(doc));
    return {};
  }
  json& items = doc["items"];
  if (items.is_null()) return {};
  if (!items.is_array()) return fail(fmt::format("{}: items: must be a list", where));
  for (size_t i = 0; i < items.size(); ++i)
    PODNET_TRY_VOID(flatten(std::move(items[i]), fmt::format("{}: items[{}]", where, i), out));
  return {};
}

}  // namespace

Result<std::vector<json>> yaml_documents(std::string_view text, std::string_view what,
                                         const DocumentLimits& limits) {
  if (text.size() > limits.max_bytes)
    return fail(fmt::format("{}: {} bytes, more than the limit of {}", what, text.size(),
                            limits.max_bytes));
  // Documents are split at their `---` lines (always markers at column 0) and parsed one by
  // one: yaml-cpp's LoadAll over 30000 documents is several times slower than this.
  std::vector<YAML::Node> nodes;
  size_t start = 0, line = 0, start_line = 0;
  auto parse = [&](std::string_view doc) -> Result<> {
    // yaml-cpp reports syntax errors (and its own recursion guard) only by exception.
    try {
      for (auto& n : YAML::LoadAll(std::string(doc))) nodes.push_back(std::move(n));
    } catch (const YAML::Exception& e) {
      return fail(fmt::format("{}: line {}, column {}: {}", what, start_line + e.mark.line + 1,
                              e.mark.column + 1, e.msg));
    }
    return {};
  };
  for (size_t pos = 0; pos <= text.size(); ++line) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view l = text.substr(pos, eol - pos);
    if (pos > start && (l == "---" || l.starts_with("--- ") || l == "---\r")) {
      PODNET_TRY_VOID(parse(text.substr(start, pos - start)));
      start = pos;
      start_line = line;
    }
    pos = eol + 1;
  }
  if (start < text.size()) PODNET_TRY_VOID(parse(text.substr(start)));
  Converter c{what, limits.max_depth,
              limits.max_values ? limits.max_values : text.size() * 16 + 1024};
  std::vector<json> out;
  out.reserve(nodes.size());
  for (const auto& n : nodes) out.push_back(PODNET_TRY(c.convert(n, 0)));
  return out;
}

Result<std::vector<json>> read_documents(std::string_view text, std::string_view what,
                                         const DocumentLimits& limits) {
  std::string_view t = text;
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);  // a UTF-8 byte order mark
  size_t first = t.find_first_not_of(" \t\r\n");
  std::vector<json> docs;
  if (first != std::string_view::npos && (t[first] == '{' || t[first] == '[')) {
    // JSON: nlohmann's parser is much faster than yaml-cpp on big files.
    docs.push_back(PODNET_TRY(parse_json_bounded(t, limits.max_depth, limits.max_bytes, what)));
  } else {
    docs = PODNET_TRY(yaml_documents(t, what, limits));
  }
  std::vector<json> out;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string where =
        docs.size() == 1 ? std::string(what) : fmt::format("{}: document {}", what, i + 1);
    PODNET_TRY_VOID(flatten(std::move(docs[i]), where, out));
  }
  return out;
}

}  // namespace podnet::ctl
