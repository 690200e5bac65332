#pragma once
// One parser for every JSON that podnet reads from outside (CNI stdin, store objects, etcd
// answers, lab files, delegated plugin output). nlohmann::json copies, dumps and compares are
// recursive, so a document nested 100k levels deep overflows the stack long after parsing;
// the depth is therefore checked on the raw text, before any tree is built.
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"

namespace podnet {

inline constexpr size_t json_default_max_depth = 64;
inline constexpr size_t json_default_max_bytes = size_t{16} << 20;

// Deepest nesting of [ and { outside strings in text (an O(n) scan, no allocation). Text that
// is not JSON still gets an answer; the parser reports its errors afterwards.
size_t json_nesting_depth(std::string_view text);

// Parses text after checking its size and nesting depth. Errors name `what`:
// "<what>: nesting deeper than 64 levels", "<what>: 20000000 bytes, more than the limit of ...",
// "<what>: not valid JSON: <parser message>" (without "<what>: " when what is empty).
Result<nlohmann::json> parse_json_bounded(std::string_view text,
                                          size_t max_depth = json_default_max_depth,
                                          size_t max_bytes = json_default_max_bytes,
                                          std::string_view what = "JSON");

}  // namespace podnet
