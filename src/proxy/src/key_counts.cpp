#include "podnet/proxy/key_counts.hpp"

#include <stdexcept>

namespace podnet::proxy {

namespace {
uint32_t hash_of(std::string_view k) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : k) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}
}  // namespace

size_t KeyCounts::find(std::string_view key, uint32_t h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.off == kEmpty || (s.hash == h && key_at(s.off) == key)) return i;
  }
}

int KeyCounts::add(std::string_view key, int delta) {
  if (key.size() > 255) throw std::length_error("KeyCounts: key longer than 255 bytes");
  if ((size_ + 1) * 10 > slots_.size() * 7) rehash(slots_.empty() ? 16 : 2 * slots_.size());
  const uint32_t h = hash_of(key);
  const size_t i = find(key, h);
  Slot& s = slots_[i];
  if (s.off != kEmpty) {
    const int before = s.count;
    s.count += delta;
    if (s.count == 0) erase_at(i);
    return before;
  }
  if (delta == 0) return 0;
  s = Slot{h, static_cast<uint32_t>(arena_.size()), delta};
  arena_.push_back(static_cast<char>(key.size()));
  arena_.append(key);
  ++size_;
  return 0;
}

int KeyCounts::get(std::string_view key) const {
  if (slots_.empty()) return 0;
  const Slot& s = slots_[find(key, hash_of(key))];
  return s.off == kEmpty ? 0 : s.count;
}

void KeyCounts::erase_at(size_t i) {
  garbage_ += 1 + static_cast<unsigned char>(arena_[slots_[i].off]);
  // Backward shift: entries after the hole that may live there move up (no tombstones).
  const size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j].off != kEmpty; j = (j + 1) & mask) {
    const size_t k = slots_[j].hash & mask;  // where it wants to be
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --size_;
  // Keys of removed entries stay in the arena until it is half garbage.
  if (garbage_ > 4096 && 2 * garbage_ > arena_.size()) rehash(slots_.size());
}

void KeyCounts::rehash(size_t n) {
  std::vector<Slot> old = std::move(slots_);
  std::string old_arena = std::move(arena_);
  slots_.assign(n, Slot{});
  arena_.clear();
  arena_.reserve(old_arena.size() - garbage_);
  garbage_ = 0;
  const size_t mask = n - 1;
  for (const Slot& s : old) {
    if (s.off == kEmpty) continue;
    size_t i = s.hash & mask;
    while (slots_[i].off != kEmpty) i = (i + 1) & mask;
    const size_t len = static_cast<unsigned char>(old_arena[s.off]);
    slots_[i] = Slot{s.hash, static_cast<uint32_t>(arena_.size()), s.count};
    arena_.append(old_arena, s.off, len + 1);
  }
}

void KeyCounts::clear() {
  slots_.clear();
  arena_.clear();
  size_ = garbage_ = 0;
}

void KeyCounts::reserve(size_t n) {
  size_t want = 16;
  while (want * 7 < n * 10) want *= 2;
  if (want > slots_.size()) rehash(want);
  arena_.reserve(n * 16);  // IPv4 keys: a length byte, a set letter and 8 or 12 bytes
}

}  // namespace podnet::proxy
