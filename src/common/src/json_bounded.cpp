#include "podnet/common/json_bounded.hpp"

#include <fmt/format.h>

namespace podnet {

size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) deepest = depth;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

Result<nlohmann::json> parse_json_bounded(std::string_view text, size_t max_depth, size_t max_bytes,
                                          std::string_view what_) {
  // An empty `what`: the caller adds its own context.
  std::string what = what_.empty() ? std::string() : std::string(what_) + ": ";
  if (text.size() > max_bytes)
    return fail(fmt::format("{}{} bytes, more than the limit of {}", what, text.size(), max_bytes));
  if (json_nesting_depth(text) > max_depth)
    return fail(fmt::format("{}nesting deeper than {} levels", what, max_depth));
  // The library reports syntax errors only by exception; this is the boundary that turns
  // one into a Result.
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // e.what() starts with "[json.exception.parse_error.101] ": keep only the reason.
    std::string_view detail = e.what();
    if (auto close = detail.find("] "); detail.starts_with("[") && close != std::string_view::npos)
      detail.remove_prefix(close + 2);
    return fail(fmt::format("{}not valid JSON: {}", what, detail));
  }
}

}  // namespace podnet
