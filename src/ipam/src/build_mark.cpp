#include "podnet/ipam/build_mark.hpp"

#include <elf.h>

#include <cstring>

namespace podnet::ipam {

namespace {

// Reads a T at `off` of `s` when it lies wholly inside (unaligned-safe).
template <class T>
std::optional<T> read_at(std::string_view s, uint64_t off) {
  if (off > s.size() || s.size() - off < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, s.data() + off, sizeof(T));
  return v;
}

uint64_t align4(uint64_t n) {
  return (n + 3) & ~uint64_t{3};
}

std::optional<std::string> note_in(std::string_view seg, std::string_view owner, uint32_t type) {
  uint64_t off = 0;
  while (auto nh = read_at<Elf64_Nhdr>(seg, off)) {
    uint64_t name_off = off + sizeof(Elf64_Nhdr);
    uint64_t desc_off = name_off + align4(nh->n_namesz);
    uint64_t next = desc_off + align4(nh->n_descsz);
    if (next > seg.size()) return std::nullopt;
    // n_namesz counts the name's terminating NUL.
    std::string_view name = seg.substr(name_off, nh->n_namesz);
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    if (nh->n_type == type && name == owner) return std::string(seg.substr(desc_off, nh->n_descsz));
    off = next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_elf_note(std::string_view head, std::string_view owner,
                                         uint32_t type) {
  auto eh = read_at<Elf64_Ehdr>(head, 0);
  if (!eh || std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
      eh->e_phentsize != sizeof(Elf64_Phdr))
    return std::nullopt;
  for (uint64_t i = 0; i < eh->e_phnum; ++i) {
    auto ph = read_at<Elf64_Phdr>(head, eh->e_phoff + i * sizeof(Elf64_Phdr));
    if (!ph) return std::nullopt;
    if (ph->p_type != PT_NOTE) continue;
    if (ph->p_offset > head.size() || head.size() - ph->p_offset < ph->p_filesz) continue;
    if (auto d = note_in(head.substr(ph->p_offset, ph->p_filesz), owner, type)) return d;
  }
  return std::nullopt;
}

}  // namespace podnet::ipam
