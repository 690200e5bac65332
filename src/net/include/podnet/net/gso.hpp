#pragma once
// GSO/GRO packet size bounds of the Linux stack, in bytes: shared by the plugin's gsoMaxSize
// and podnetd's --pod-gso-max-size.
#include <cstdint>

namespace podnet::net {

// The kernel's default (and the largest packet before BIG TCP).
inline constexpr uint32_t kLegacyGsoMaxSize = 65536;
// The largest a veth takes (its tso_max_size, GSO_MAX_SIZE).
inline constexpr uint32_t kVethGsoMaxSize = 524280;

}  // namespace podnet::net
