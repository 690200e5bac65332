#pragma once
// Plain-text tables as kubectl prints them: columns padded to the widest cell, three spaces
// between columns, no trailing spaces. Pure.
#include <cstdint>
#include <string>
#include <vector>

namespace podnet::lab {

using Row = std::vector<std::string>;
std::string format_table(const Row& header, const std::vector<Row>& rows);

// kubectl's AGE (its HumanDuration): 45s, 119s, 3m20s, 42m, 5h3m, 20h, 3d4h, 90d, 2y5d, 9y.
// Negative: 0s. One formatter for every AGE column.
std::string human_age(int64_t seconds);

}  // namespace podnet::lab
