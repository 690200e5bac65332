#pragma once
// A Prometheus histogram: cumulative buckets, sum and count. Pure; rendered by metrics.cpp.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::agent {

struct Histogram {
  // Seconds, from a millisecond (one service change) to the tens of seconds a kube-proxy-sized
  // full sync can take elsewhere.
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  // Not cumulative: observations <= bound[i] and > bound[i-1].
  std::array<uint64_t, bounds.size()> buckets{};
  uint64_t count = 0;
  double sum = 0;

  void observe(double seconds);
  // The exposition lines (no HELP/TYPE): name_bucket{labels,le="..."} ..., name_sum, name_count.
  // `labels` is the inside of the braces, e.g. `node="a",kind="full"`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

  // The histogram `name` with exactly `labels` read back from exposition text as render()
  // writes it (a scrape of /metrics); nullopt when a line is missing.
  static std::optional<Histogram> parse(std::string_view text, std::string_view name,
                                        std::string_view labels);
  // What was observed after `earlier` (a scrape of the same histogram taken before).
  Histogram since(const Histogram& earlier) const;
  // The q-quantile (0..1) as Prometheus' histogram_quantile estimates it: linear inside the
  // bucket that holds it; the last bound when it lies above every bound; 0 when empty.
  double quantile(double q) const;
};

}  // namespace podnet::agent
