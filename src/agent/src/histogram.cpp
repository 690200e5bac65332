#include "podnet/agent/histogram.hpp"

#include <charconv>
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

namespace {
// The number after `line_start` at the start of a line of `text`; nullopt when absent.
template <class T>
std::optional<T> value_after(std::string_view text, const std::string& line_start) {
  for (size_t at = text.find(line_start); at != std::string_view::npos;
       at = text.find(line_start, at + 1)) {
    if (at > 0 && text[at - 1] != '\n') continue;
    std::string_view rest = text.substr(at + line_start.size());
    T v{};
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc() || (end != rest.data() + rest.size() && *end != '\n'))
      return std::nullopt;
    return v;
  }
  return std::nullopt;
}
}  // namespace

std::optional<Histogram> Histogram::parse(std::string_view text, std::string_view name,
                                          std::string_view labels) {
  Histogram h;
  const std::string_view sep = labels.empty() ? "" : ",";
  uint64_t prev = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    auto cum = value_after<uint64_t>(
        text, fmt::format("{}_bucket{{{}{}le=\"{}\"}} ", name, labels, sep, bounds[i]));
    if (!cum || *cum < prev) return std::nullopt;
    h.buckets[i] = *cum - prev;
    prev = *cum;
  }
  auto count = value_after<uint64_t>(text, fmt::format("{}_count{{{}}} ", name, labels));
  auto sum = value_after<double>(text, fmt::format("{}_sum{{{}}} ", name, labels));
  if (!count || !sum || *count < prev) return std::nullopt;
  h.count = *count;
  h.sum = *sum;
  return h;
}

Histogram Histogram::since(const Histogram& earlier) const {
  Histogram d;
  for (size_t i = 0; i < bounds.size(); ++i)
    d.buckets[i] = buckets[i] >= earlier.buckets[i] ? buckets[i] - earlier.buckets[i] : 0;
  d.count = count >= earlier.count ? count - earlier.count : 0;
  d.sum = sum - earlier.sum;
  return d;
}

double Histogram::quantile(double q) const {
  if (count == 0) return 0;
  const double rank = q * double(count);
  double below = 0, lower = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    const double in = double(buckets[i]);
    if (in > 0 && below + in >= rank) return lower + (bounds[i] - lower) * (rank - below) / in;
    below += in;
    lower = bounds[i];
  }
  return bounds.back();
}

}  // namespace podnet::agent
