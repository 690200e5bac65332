#include "podnet/sys/mac.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace podnet::sys {
namespace {

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// FNV-1a then a splitmix64 finalizer: fixed by definition (unlike std::hash), so generated MACs
// never change between builds, and well mixed in all 48 bits we keep.
uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

Mac Mac::from_bytes(const uint8_t* p) {
  std::array<uint8_t, 6> b{};
  std::memcpy(b.data(), p, b.size());
  return Mac(b);
}

std::optional<Mac> Mac::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::array<uint8_t, 6> b{};
  for (size_t i = 0; i < 6; ++i) {
    size_t at = i * 3;
    if (i > 0 && text[at - 1] != ':') return std::nullopt;
    int hi = hex_val(text[at]), lo = hex_val(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return Mac(b);
}

Mac Mac::from_seed(std::string_view seed) {
  uint64_t h = stable_hash(seed);
  std::array<uint8_t, 6> b{};
  for (size_t i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(h >> (8 * i));
  b[0] = static_cast<uint8_t>((b[0] & 0xfc) | 0x02);  // unicast, locally administered
  Mac m(b);
  // All-zero host part after masking is impossible (bit 1 set), so m is always valid unicast.
  return m;
}

std::string Mac::str() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b_[0], b_[1], b_[2], b_[3], b_[4],
                     b_[5]);
}

bool Mac::is_zero() const {
  return std::all_of(b_.begin(), b_.end(), [](uint8_t x) { return x == 0; });
}

bool Mac::is_broadcast() const {
  return std::all_of(b_.begin(), b_.end(), [](uint8_t x) { return x == 0xff; });
}

}  // namespace podnet::sys
