#pragma once
// Counts by short byte-string key, compact (pure): how many services want each shared element.
// A full sync counts one key per endpoint and per local endpoint (120000 at 30000 Services):
// a node-based map paid an allocation and ~70 bytes per key; this is open addressing over
// 12-byte slots with the keys in one arena, and counting allocates nothing.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace podnet::proxy {

class KeyCounts {
 public:
  // Adds delta to key's count and returns the count before. A count that reaches 0 is removed.
  int add(std::string_view key, int delta);
  int get(std::string_view key) const;
  size_t size() const { return size_; }
  void clear();
  void reserve(size_t n);
  // Bytes held (slots and key arena).
  size_t memory() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t off = kEmpty;  // key's offset in arena_: [length byte][bytes]
    int32_t count = 0;
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;
  std::string_view key_at(uint32_t off) const {
    return {arena_.data() + off + 1, static_cast<unsigned char>(arena_[off])};
  }
  size_t find(std::string_view key, uint32_t h) const;  // its slot or the empty one to use
  void erase_at(size_t i);
  void rehash(size_t slots);

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0, garbage_ = 0;
};

}  // namespace podnet::proxy
