#pragma once
// Plain-text tables as kubectl prints them: columns padded to the widest cell, three spaces
// between columns, no trailing spaces. Pure.
#include <string>
#include <vector>

namespace podnet::lab {

using Row = std::vector<std::string>;
std::string format_table(const Row& header, const std::vector<Row>& rows);

// "42s", "5m", "3h", "2d" (kubectl's AGE shape); "<unknown>" for a negative age.
std::string format_age(long long seconds);

}  // namespace podnet::lab
