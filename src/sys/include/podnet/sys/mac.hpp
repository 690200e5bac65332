#pragma once
// Ethernet MAC addresses as a value type: parse, format, deterministic generation. Pure, no I/O.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::sys {

class Mac {
 public:
  Mac() = default;  // 00:00:00:00:00:00
  explicit Mac(const std::array<uint8_t, 6>& b) : b_(b) {}
  static Mac from_bytes(const uint8_t* p);
  // Exactly "aa:bb:cc:dd:ee:ff" (hex digits in either case).
  static std::optional<Mac> parse(std::string_view text);
  // A locally administered unicast MAC derived from seed (e.g. a container id + ifname), stable
  // across runs and builds: the same pod gets the same MAC back after a retry.
  static Mac from_seed(std::string_view seed);

  const std::array<uint8_t, 6>& bytes() const { return b_; }
  const uint8_t* data() const { return b_.data(); }
  std::string str() const;  // lower case, colon separated

  bool is_zero() const;
  bool is_broadcast() const;
  bool is_multicast() const { return (b_[0] & 0x01) != 0; }
  bool is_locally_administered() const { return (b_[0] & 0x02) != 0; }
  // Usable as an interface address: not zero, not multicast/broadcast.
  bool is_valid_unicast() const { return !is_zero() && !is_multicast(); }

  friend auto operator<=>(const Mac&, const Mac&) = default;
  friend bool operator==(const Mac&, const Mac&) = default;

 private:
  std::array<uint8_t, 6> b_{};
};

}  // namespace podnet::sys
