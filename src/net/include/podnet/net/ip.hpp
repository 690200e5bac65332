#pragma once
// IP addresses and prefixes as value types: parsing, formatting and arithmetic. Pure, no I/O.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::net {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(uint32_t host_order);
  static IpAddress from_bytes(Family f, const uint8_t* bytes);
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  int bits() const { return is_v4() ? 32 : 128; }
  int byte_len() const { return is_v4() ? 4 : 16; }
  // Network-order bytes; 4 meaningful bytes for IPv4.
  const uint8_t* data() const { return bytes_.data(); }
  uint32_t v4_host_order() const;
  std::string str() const;

  // Arithmetic wraps inside the family's address space.
  IpAddress plus(uint64_t n) const;
  IpAddress minus(uint64_t n) const;
  IpAddress next() const { return plus(1); }
  IpAddress prev() const { return minus(1); }
  // Distance b - a when a <= b (saturates at UINT64_MAX); both of one family.
  static uint64_t distance(const IpAddress& a, const IpAddress& b);

  bool is_multicast() const;
  bool is_unspecified() const;
  bool is_loopback() const;  // 127.0.0.0/8, ::1

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  Prefix(IpAddress addr, int len) : addr_(addr), len_(len) {}
  // "a.b.c.d/n" or "x::/n"; host bits are kept (an interface address); a bare address
  // gets the full length when allow_bare.
  static std::optional<Prefix> parse(std::string_view text, bool allow_bare = false);

  const IpAddress& address() const { return addr_; }
  int length() const { return len_; }
  Family family() const { return addr_.family(); }
  bool is_v4() const { return addr_.is_v4(); }

  Prefix masked() const { return Prefix(network(), len_); }
  IpAddress network() const;    // first address
  IpAddress last() const;       // broadcast for IPv4
  IpAddress netmask() const;
  bool contains(const IpAddress& ip) const;
  bool contains(const Prefix& p) const;
  bool overlaps(const Prefix& p) const;
  // Number of addresses, saturating at UINT64_MAX.
  uint64_t size() const;
  // The index-th subnet of length new_len inside this prefix (new_len >= length()).
  std::optional<Prefix> subnet(int new_len, uint64_t index) const;
  std::string str() const;  // "addr/len" with the stored address

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  IpAddress addr_;
  int len_ = 0;
};

}  // namespace podnet::net
