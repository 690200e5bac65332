#pragma once
// A Prometheus histogram: cumulative buckets, sum and count. Pure; rendered by metrics.cpp.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace podnet::agent {

struct Histogram {
  // Seconds, from a millisecond (one service change) to the tens of seconds a kube-proxy-sized
  // full sync can take elsewhere.
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                    5,      10};
  std::array<uint64_t, bounds.size()> buckets{};  // not cumulative: observations <= bound[i] and > bound[i-1]
  uint64_t count = 0;
  double sum = 0;

  void observe(double seconds);
  // The exposition lines (no HELP/TYPE): name_bucket{labels,le="..."} ..., name_sum, name_count.
  // `labels` is the inside of the braces, e.g. `node="a",kind="full"`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;
};

}  // namespace podnet::agent
