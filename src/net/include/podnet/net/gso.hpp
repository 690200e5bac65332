#pragma once
// GSO/GRO packet size bounds of the Linux stack, in bytes: shared by the plugin's gsoMaxSize
// and podnetd's --pod-gso-max-size.
#include <cstdint>

namespace podnet::net {

// The kernel's default (and the largest packet before BIG TCP).
inline constexpr uint32_t kLegacyGsoMaxSize = 65536;
// The largest a veth takes (its tso_max_size, GSO_MAX_SIZE).
inline constexpr uint32_t kVethGsoMaxSize = 524280;

// A gsoMaxSize podnet accepts: 0 (the kernel's default) or kLegacyGsoMaxSize..kVethGsoMaxSize.
inline constexpr bool valid_gso_max_size(uint64_t n) {
  return n == 0 || (n >= kLegacyGsoMaxSize && n <= kVethGsoMaxSize);
}

}  // namespace podnet::net
