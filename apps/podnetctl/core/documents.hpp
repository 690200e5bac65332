#pragma once
// Reading the objects of an `apply -f` / `delete -f` file: JSON or YAML, one object, a
// `kind: List` with items, or several YAML documents separated by `---`. Input is untrusted:
// its size, nesting depth and (YAML aliases) expanded size are bounded, so a small hostile file
// cannot exhaust the stack or memory. Pure, no I/O.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"

namespace podnet::ctl {

struct DocumentLimits {
  size_t max_bytes = size_t{256} << 20;  // the whole file
  size_t max_depth = 64;                 // nesting of maps and lists
  size_t max_values = 0;                 // YAML values after alias expansion; 0: 16 per byte + 1024
};

// Every document of the file, with `kind: List` items flattened in order. Empty documents (a
// leading `---`, comments only) are skipped. Errors are one line naming `what` (the file name)
// and where: "web.yaml: document 2: line 4: ...".
Result<std::vector<nlohmann::json>> read_documents(std::string_view text, std::string_view what,
                                                   const DocumentLimits& limits = {});

// The same objects one at a time, in file order, each given to `each` as soon as it is read,
// so a large file is never held whole as JSON. Returns how many there were. When the file
// cannot be read the error is the one read_documents gives, whatever `each` was given before.
Result<size_t> for_each_object(std::string_view text, std::string_view what,
                               const std::function<void(nlohmann::json&&)>& each,
                               const DocumentLimits& limits = {});

// One YAML text (possibly several documents) as JSON values, scalars typed by YAML 1.2's core
// schema (plain 80 is a number, "80" and '80' strings, true/false, null/~). Exposed for tests.
Result<std::vector<nlohmann::json>> yaml_documents(std::string_view text, std::string_view what,
                                                   const DocumentLimits& limits = {});

}  // namespace podnet::ctl
