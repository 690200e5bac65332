#include "service_set.hpp"

#include <fmt/format.h>

namespace podnet::bench {

std::vector<BenchService> make_services(int n) {
  constexpr uint32_t svc_base = (10u << 24) | (96u << 16);
  constexpr uint32_t ep_base = (10u << 24) | (128u << 16);
  std::vector<BenchService> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto u = static_cast<uint32_t>(i);
    out.push_back({"bench",
                   fmt::format("svc-{}", i),
                   svc_base + 10 + u,
                   80,
                   {{ep_base + 16 + 2 * u, 8080}, {ep_base + 17 + 2 * u, 8080}}});
  }
  return out;
}

SvcEndpoint spare_endpoint(int round) {
  // 10.190.x.y: far above the 60016 addresses the largest set uses.
  return {((10u << 24) | (190u << 16)) + static_cast<uint32_t>(round % 60000) + 1, 8080};
}

std::string ip_text(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

}  // namespace podnet::bench
