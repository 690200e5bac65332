#include "podnet/agent/histogram.hpp"

#include <iterator>

#include <fmt/format.h>

namespace podnet::agent {

void Histogram::observe(double seconds) {
  ++count;
  sum += seconds;
  for (size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) {
      ++buckets[i];
      return;
    }
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  auto o = std::back_inserter(out);
  const std::string_view sep = labels.empty() ? "" : ",";
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cum += buckets[i];
    fmt::format_to(o, "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds[i], cum);
  }
  fmt::format_to(o, "{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count);
  fmt::format_to(o, "{}_sum{{{}}} {:.6f}\n{}_count{{{}}} {}\n", name, labels, sum, name, labels,
                 count);
}

}  // namespace podnet::agent
