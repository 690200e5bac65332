#pragma once
// A small stable 64-bit string hash (FNV-1a shape) for names derived from ids: host veth
// names, nftables element tags. Stable across builds and runs; not for security.
#include <cstdint>
#include <string_view>

namespace podnet {

constexpr uint64_t stable_hash64(std::string_view s) {
  // The seed differs from FNV's published offset basis; names already in the field depend on it.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace podnet
