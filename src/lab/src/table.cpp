#include "podnet/lab/table.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace podnet::lab {

std::string format_table(const Row& header, const std::vector<Row>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const Row& r) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  std::string out;
  auto emit = [&](const Row& r) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < r.size() ? r[i] : "";
      line += cell;
      if (i + 1 < width.size()) line += std::string(width[i] - cell.size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(header);
  for (const auto& r : rows) emit(r);
  return out;
}

std::string human_age(int64_t s) {
  if (s < 0) s = 0;
  if (s < 120) return fmt::format("{}s", s);
  int64_t m = s / 60, h = s / 3600, d = h / 24;
  auto two = [](int64_t big, const char* bu, int64_t small, const char* su) {
    return small ? fmt::format("{}{}{}{}", big, bu, small, su) : fmt::format("{}{}", big, bu);
  };
  if (m < 10) return two(m, "m", s % 60, "s");
  if (m < 180) return fmt::format("{}m", m);
  if (h < 8) return two(h, "h", m % 60, "m");
  if (h < 48) return fmt::format("{}h", h);
  if (h < 24 * 8) return two(d, "d", h % 24, "h");
  if (d < 365 * 2) return fmt::format("{}d", d);
  if (d < 365 * 8) return two(d / 365, "y", d % 365, "d");
  return fmt::format("{}y", d / 365);
}

}  // namespace podnet::lab
