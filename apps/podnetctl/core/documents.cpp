#include "core/documents.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <yaml.h>

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

// The YAML reader: libyaml's event parser (a state machine with its own stack, so a hostile
// nesting cannot overflow ours) building JSON values as the events come. Anchored values are
// kept and copied where an alias names them, counted against the value limit first.
class YamlReader {
 public:
  YamlReader(std::string_view what, size_t max_depth, size_t max_values)
      : what_(what), max_depth_(max_depth), max_values_(max_values) {
    yaml_parser_initialize(&parser_);
  }
  ~YamlReader() { yaml_parser_delete(&parser_); }
  YamlReader(const YamlReader&) = delete;
  YamlReader& operator=(const YamlReader&) = delete;

  // Gives each document to `each` as soon as it is complete.
  Result<> read(std::string_view text, const std::function<void(json&&)>& each) {
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    for (;;) {
      yaml_event_t ev;
      if (!yaml_parser_parse(&parser_, &ev)) return fail(syntax_error());
      Event owned(ev);
      switch (ev.type) {
        case YAML_STREAM_END_EVENT:
          return {};
        case YAML_DOCUMENT_START_EVENT:
          root_ = json();
          anchors_.clear();  // anchors are per document
          break;
        case YAML_DOCUMENT_END_EVENT:
          each(std::move(root_));
          break;
        case YAML_SCALAR_EVENT:
          PODNET_TRY_VOID(on_scalar(ev));
          break;
        case YAML_ALIAS_EVENT:
          PODNET_TRY_VOID(on_alias(ev));
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          PODNET_TRY_VOID(on_start(ev));
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          PODNET_TRY_VOID(on_end());
          break;
        default:
          break;
      }
    }
  }

 private:
  struct Event {  // frees the event's strings
    yaml_event_t& ev;
    explicit Event(yaml_event_t& e) : ev(e) {}
    ~Event() { yaml_event_delete(&ev); }
  };
  struct Frame {
    json value;  // the array or object being filled
    bool is_map = false;
    bool have_key = false;
    std::string key;
    std::string anchor;
    size_t values_at_start = 0;
    size_t line = 0;  // of the collection's start, 0-based
  };
  struct Anchored {
    json value;
    size_t values = 0;
    std::optional<std::string> text;  // a scalar's own text (a map key may be an alias of it)
  };

  std::string where(size_t line) const { return fmt::format("{}: line {}", what_, line + 1); }

  Error syntax_error() const {
    const auto& p = parser_;
    const char* problem = p.problem ? p.problem : "invalid YAML";
    if (p.error == YAML_READER_ERROR)
      return Error::msg(fmt::format("{}: byte {}: {}", what_, p.problem_offset, problem));
    std::string m = fmt::format("{}: line {}, column {}: {}", what_, p.problem_mark.line + 1,
                                p.problem_mark.column + 1, problem);
    if (p.context)
      m += fmt::format(" ({} at line {}, column {})", p.context, p.context_mark.line + 1,
                       p.context_mark.column + 1);
    return Error::msg(std::move(m));
  }

  Result<> count(size_t n) {
    values_ += n;
    if (values_ > max_values_)
      return fail(
          fmt::format("{}: more than {} values (aliases expanding too far?)", what_, max_values_));
    return {};
  }

  // The top frame is a map waiting for its key: `v` is that key, not a value.
  bool wants_key() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().have_key;
  }

  Result<> take_key(std::string key) {
    Frame& f = stack_.back();
    f.key = std::move(key);
    f.have_key = true;
    return {};
  }

  // A finished value goes to its parent (or is the document).
  Result<> add(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return {};
    }
    Frame& f = stack_.back();
    if (!f.is_map) {
      f.value.get_ref<json::array_t&>().push_back(std::move(v));
      return {};
    }
    auto& obj = f.value.get_ref<json::object_t&>();
    if (!obj.emplace(f.key, std::move(v)).second)
      return fail(fmt::format("{}: key \"{}\" appears twice", where(f.line), f.key));
    f.have_key = false;
    return {};
  }

  void remember(const yaml_char_t* anchor, const json& v, size_t values,
                std::optional<std::string> text = std::nullopt) {
    if (anchor)
      anchors_[reinterpret_cast<const char*>(anchor)] = Anchored{v, values, std::move(text)};
  }

  static bool null_text(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
  }

  Result<> on_scalar(const yaml_event_t& ev) {
    const auto& sc = ev.data.scalar;
    std::string text(reinterpret_cast<const char*>(sc.value), sc.length);
    const bool plain = sc.style == YAML_PLAIN_SCALAR_STYLE;
    const std::string_view tag = sc.tag ? reinterpret_cast<const char*>(sc.tag) : "";
    if (wants_key()) {
      if (plain && tag.empty() && null_text(text))
        return fail(fmt::format("{}: a map key must be a plain value", where(ev.start_mark.line)));
      if (sc.anchor) remember(sc.anchor, json(text), 0, text);
      return take_key(std::move(text));
    }
    PODNET_TRY_VOID(count(1));
    json v;
    if (tag.empty()) {
      // Untagged: plain scalars are typed by the core schema, quoted and block ones are text.
      if (!plain)
        v = json(text);
      else if (null_text(text))
        v = json(nullptr);
      else
        v = plain_scalar(text);
    } else if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      v = json(text);
    } else if (tag == "tag:yaml.org,2002:null" && null_text(text)) {
      v = json(nullptr);
    } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
               tag == "tag:yaml.org,2002:bool") {
      v = plain_scalar(text);
      if (v.is_string())
        return fail(
            fmt::format("{}: unsupported tag {} on \"{}\"", where(ev.start_mark.line), tag, text));
    } else {
      return fail(
          fmt::format("{}: unsupported tag {} on \"{}\"", where(ev.start_mark.line), tag, text));
    }
    if (sc.anchor) remember(sc.anchor, v, 1, text);
    return add(std::move(v));
  }

  Result<> on_alias(const yaml_event_t& ev) {
    const char* name = reinterpret_cast<const char*>(ev.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end())
      return fail(
          fmt::format("{}: alias *{} names no anchor before it", where(ev.start_mark.line), name));
    if (wants_key()) {
      if (!it->second.text)
        return fail(fmt::format("{}: a map key must be a plain value", where(ev.start_mark.line)));
      return take_key(*it->second.text);
    }
    PODNET_TRY_VOID(count(it->second.values));
    return add(it->second.value);
  }

  Result<> on_start(const yaml_event_t& ev) {
    const size_t line = ev.start_mark.line;
    if (wants_key()) return fail(fmt::format("{}: a map key must be a plain value", where(line)));
    if (stack_.size() + 1 > max_depth_)
      return fail(fmt::format("{}: nesting deeper than {} levels", where(line), max_depth_));
    PODNET_TRY_VOID(count(1));
    Frame f;
    f.is_map = ev.type == YAML_MAPPING_START_EVENT;
    f.value = f.is_map ? json::object() : json::array();
    const yaml_char_t* anchor =
        f.is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
    if (anchor) f.anchor = reinterpret_cast<const char*>(anchor);
    f.values_at_start = values_ - 1;
    f.line = line;
    stack_.push_back(std::move(f));
    return {};
  }

  Result<> on_end() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (!f.anchor.empty())
      anchors_[f.anchor] = Anchored{f.value, values_ - f.values_at_start, std::nullopt};
    return add(std::move(f.value));
  }

  std::string_view what_;
  size_t max_depth_, max_values_;
  size_t values_ = 0;
  yaml_parser_t parser_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, Anchored> anchors_;
  json root_;
};

// The document's `kind` ends in "List" and it has items: kubectl's test for a list.
bool is_list(const json& doc) {
  auto k = doc.find("kind");
  return k != doc.end() && k->is_string() && k->get_ref<const std::string&>().ends_with("List") &&
         doc.contains("items");
}

// A document's objects (a List's items, nested Lists too) to `each`. Errors name the place
// after the document's own name, which the caller puts in front: ": items[2]: want ...".
Result<> flatten(json&& doc, const std::string& place, const std::function<void(json&&)>& each) {
  if (doc.is_null()) return {};
  if (!doc.is_object())
    return fail(fmt::format("{}: want an object with apiVersion, kind and metadata", place));
  if (!is_list(doc)) {
    each(std::move(doc));
    return {};
  }
  json& items = doc["items"];
  if (items.is_null()) return {};
  if (!items.is_array()) return fail(fmt::format("{}: items: must be a list", place));
  for (size_t i = 0; i < items.size(); ++i)
    PODNET_TRY_VOID(flatten(std::move(items[i]), fmt::format("{}: items[{}]", place, i), each));
  return {};
}

Result<> yaml_stream(std::string_view text, std::string_view what, const DocumentLimits& limits,
                     const std::function<void(json&&)>& each) {
  if (text.size() > limits.max_bytes)
    return fail(fmt::format("{}: {} bytes, more than the limit of {}", what, text.size(),
                            limits.max_bytes));
  YamlReader reader(what, limits.max_depth,
                    limits.max_values ? limits.max_values : text.size() * 16 + 1024);
  return reader.read(text, each);
}

}  // namespace

Result<std::vector<json>> yaml_documents(std::string_view text, std::string_view what,
                                         const DocumentLimits& limits) {
  std::vector<json> out;
  PODNET_TRY_VOID(yaml_stream(text, what, limits, [&](json&& d) { out.push_back(std::move(d)); }));
  return out;
}

Result<size_t> for_each_object(std::string_view text, std::string_view what,
                               const std::function<void(json&&)>& each,
                               const DocumentLimits& limits) {
  std::string_view t = text;
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);  // a UTF-8 byte order mark
  size_t first = t.find_first_not_of(" \t\r\n");
  size_t docs = 0, objects = 0;
  // The first misshapen document stops the objects; its message needs to know whether the
  // file has one document or several, and a syntax error anywhere in the file comes first.
  std::optional<std::pair<size_t, Error>> bad;
  auto count = [&](json&& o) {
    ++objects;
    each(std::move(o));
  };
  auto on_document = [&](json&& d) {
    const size_t i = docs++;
    if (bad) return;
    if (auto r = flatten(std::move(d), "", count); !r) bad.emplace(i, r.error());
  };
  if (first != std::string_view::npos && (t[first] == '{' || t[first] == '[')) {
    // JSON: nlohmann's parser is much faster than a YAML parser on big files.
    on_document(PODNET_TRY(parse_json_bounded(t, limits.max_depth, limits.max_bytes, what)));
  } else {
    PODNET_TRY_VOID(yaml_stream(t, what, limits, on_document));
  }
  if (bad) {
    Error e = bad->second;
    e.message = docs == 1 ? fmt::format("{}{}", what, e.message)
                          : fmt::format("{}: document {}{}", what, bad->first + 1, e.message);
    return std::unexpected(std::move(e));
  }
  return objects;
}

Result<std::vector<json>> read_documents(std::string_view text, std::string_view what,
                                         const DocumentLimits& limits) {
  std::vector<json> out;
  PODNET_TRY_VOID(for_each_object(
      text, what, [&](json&& o) { out.push_back(std::move(o)); }, limits));
  return out;
}

}  // namespace podnet::ctl
