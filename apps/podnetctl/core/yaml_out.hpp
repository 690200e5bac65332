#pragma once
// JSON values printed as YAML the way kubectl's -o yaml prints them: keys in order, two-space
// indents, list items ("- ") at their parent key's indent, strings quoted only when plain text
// would read back as something else. Pure.
#include <string>

#include <nlohmann/json.hpp>

namespace podnet::ctl {

std::string to_yaml(const nlohmann::json& value);

// Appends to `out` (for big listings built in one buffer).
void append_yaml(std::string& out, const nlohmann::json& value);

}  // namespace podnet::ctl
