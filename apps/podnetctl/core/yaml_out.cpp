#include "core/yaml_out.hpp"

#include <algorithm>
#include <string_view>

namespace podnet::ctl {
namespace {

using nlohmann::json;

// Text that a YAML reader would take for a bool, null or number if written plain.
bool looks_typed(std::string_view s) {
  static constexpr std::string_view words[] = {
      "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~",
      "yes",  "Yes",  "YES",  "no",    "No",    "NO",    "on",   "On",   "ON",   "off",
      "Off",  "OFF",  "y",    "Y",     "n",     "N",     ".inf", ".nan", "-.inf"};
  if (std::find(std::begin(words), std::end(words), s) != std::end(words)) return true;
  // Numbers: [-+]?(.d+|d+(.d*)?)([eE][-+]?d+)?, 0x.., 0o.., and YAML 1.1's 1_000 and 12:30.
  size_t i = (s.front() == '-' || s.front() == '+') ? 1 : 0;
  if (s.substr(i).starts_with("0x") || s.substr(i).starts_with("0o")) return true;
  size_t digits = 0;
  auto digit = [](char c) { return (c >= '0' && c <= '9') || c == '_' || c == ':'; };
  while (i < s.size() && digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  return i == s.size();
}

bool plain_ok(std::string_view s) {
  if (s.empty() || looks_typed(s)) return false;
  if (s.front() == ' ' || s.back() == ' ') return false;
  static constexpr std::string_view first_bad = "-?:,[]{}#&*!|>'\"%@`";
  if (first_bad.find(s.front()) != std::string_view::npos) {
    // "-x", "?x", ":x" are plain in YAML but confuse readers; quote them all.
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
  }
  return true;
}

void append_string(std::string& out, const std::string& s) {
  if (plain_ok(s)) {
    out += s;
    return;
  }
  bool printable = std::none_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
  if (printable) {  // single quotes as kubectl ('80'), quote doubled
    out += '\'';
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
    return;
  }
  out += json(s).dump();  // JSON's escapes are valid in a double-quoted YAML scalar
}

// Multi-line text as a literal block (`|`), as kubectl prints a ConfigMap's file or a chain
// listing: readable lines instead of one quoted string of \n and \t. Only text that reads
// back exactly: printable (tabs allowed), a first line not starting with a blank.
bool literal_ok(std::string_view s) {
  if (s.find('\n') == std::string_view::npos || s.front() == ' ' || s.front() == '\t' ||
      s.front() == '\n')
    return false;
  return std::none_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
  });
}

// "|" keeps one final newline, "|-" none, "|+" all of them.
void append_literal(std::string& out, std::string_view s, size_t content_indent) {
  size_t body_end = s.find_last_not_of('\n') + 1;
  const size_t trailing = s.size() - body_end;
  out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
  std::string_view body = s.substr(0, trailing > 1 ? s.size() - 1 : body_end);
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    out += '\n';
    if (end > start) {
      out.append(content_indent, ' ');
      out.append(body.substr(start, end - start));
    }
    start = end + 1;
  }
}

void append_scalar(std::string& out, const json& v, size_t content_indent) {
  if (!v.is_string()) {
    out += v.dump();  // numbers, true/false, null
    return;
  }
  const auto& s = v.get_ref<const std::string&>();
  if (literal_ok(s))
    append_literal(out, s, content_indent);
  else
    append_string(out, s);
}

bool is_block(const json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void indent(std::string& out, size_t n) {
  out.append(n, ' ');
}

void append_value(std::string& out, const json& v, size_t ind);

// Members of an object, the first one already positioned (after "- " or at the indent).
void append_members(std::string& out, const json& o, size_t ind, bool first_positioned) {
  bool first = true;
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (!(first && first_positioned)) indent(out, ind);
    first = false;
    append_string(out, it.key());
    out += ':';
    const json& v = it.value();
    if (v.is_object() && !v.empty()) {
      out += '\n';
      append_members(out, v, ind + 2, false);
    } else if (v.is_array() && !v.empty()) {
      out += '\n';
      append_value(out, v, ind);  // kubectl: list items at the key's own indent
    } else {
      out += ' ';
      if (v.is_object())
        out += "{}";
      else if (v.is_array())
        out += "[]";
      else
        append_scalar(out, v, ind + 2);
      out += '\n';
    }
  }
}

void append_value(std::string& out, const json& v, size_t ind) {
  if (v.is_object() && !v.empty()) {
    append_members(out, v, ind, false);
    return;
  }
  if (v.is_array() && !v.empty()) {
    for (const auto& item : v) {
      indent(out, ind);
      out += '-';
      if (is_block(item) && item.is_object()) {
        out += ' ';
        append_members(out, item, ind + 2, true);
      } else if (is_block(item)) {
        out += '\n';
        append_value(out, item, ind + 2);
      } else {
        out += ' ';
        if (item.is_object())
          out += "{}";
        else if (item.is_array())
          out += "[]";
        else
          append_scalar(out, item, ind + 2);
        out += '\n';
      }
    }
    return;
  }
  indent(out, ind);
  if (v.is_object())
    out += "{}";
  else if (v.is_array())
    out += "[]";
  else
    append_scalar(out, v, ind + 2);
  out += '\n';
}

}  // namespace

void append_yaml(std::string& out, const json& value) {
  append_value(out, value, 0);
}

std::string to_yaml(const json& value) {
  std::string out;
  append_yaml(out, value);
  return out;
}

}  // namespace podnet::ctl
