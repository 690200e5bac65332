// The build-mark note reader podnet uses to recognise its own podnet-ipam.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "podnet/ipam/build_mark.hpp"

namespace podnet::ipam {
namespace {

template <class T>
void put(std::string& s, size_t off, const T& v) {
  if (s.size() < off + sizeof v) s.resize(off + sizeof v);
  std::memcpy(s.data() + off, &v, sizeof v);
}

// A note record: header, name with NUL padded to 4, descriptor padded to 4.
std::string note(std::string_view owner, uint32_t type, std::string_view desc) {
  std::string n;
  Elf64_Nhdr h{static_cast<Elf64_Word>(owner.size() + 1), static_cast<Elf64_Word>(desc.size()),
               type};
  put(n, 0, h);
  n += owner;
  n += '\0';
  n.resize((n.size() + 3) & ~size_t{3}, '\0');
  n += desc;
  n.resize((n.size() + 3) & ~size_t{3}, '\0');
  return n;
}

// An ELF64 header, one PT_LOAD and one PT_NOTE holding `notes`.
std::string image(const std::string& notes) {
  std::string s;
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  put(s, 0, eh);
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  put(s, sizeof eh, load);
  Elf64_Phdr ph{};
  ph.p_type = PT_NOTE;
  ph.p_offset = sizeof eh + 2 * sizeof(Elf64_Phdr);
  ph.p_filesz = notes.size();
  put(s, sizeof eh + sizeof(Elf64_Phdr), ph);
  return s + notes;
}

TEST(BuildMark, FindsTheNoteAfterOthers) {
  auto img = image(note("GNU", 3, "0123456789abcdef0123") + note("podnet", 7, "x") +
                   note("podnet", kBuildMarkNoteType, "podnet-ipam/0.1.0/abc"));
  EXPECT_EQ(find_elf_note(img, "podnet", kBuildMarkNoteType), "podnet-ipam/0.1.0/abc");
  EXPECT_EQ(find_elf_note(img, "GNU", 3), "0123456789abcdef0123");
}

TEST(BuildMark, AbsentOwnerOrType) {
  auto img = image(note("GNU", kBuildMarkNoteType, "m") + note("podne", kBuildMarkNoteType, "m"));
  EXPECT_EQ(find_elf_note(img, "podnet", kBuildMarkNoteType), std::nullopt);
}

TEST(BuildMark, TruncatedOrNotElf) {
  auto img = image(note("podnet", kBuildMarkNoteType, "podnet-ipam/0.1.0/abc"));
  EXPECT_EQ(find_elf_note(img.substr(0, img.size() - 3), "podnet", kBuildMarkNoteType),
            std::nullopt);
  EXPECT_EQ(find_elf_note(img.substr(0, 40), "podnet", kBuildMarkNoteType), std::nullopt);
  EXPECT_EQ(
      find_elf_note("#!/bin/sh\nexec /usr/lib/cni/host-local\n", "podnet", kBuildMarkNoteType),
      std::nullopt);
  EXPECT_EQ(find_elf_note("", "podnet", kBuildMarkNoteType), std::nullopt);
}

TEST(BuildMark, HugeSizesDoNotOverflow) {
  std::string notes = note("podnet", kBuildMarkNoteType, "m");
  Elf64_Nhdr h{0xffffffffu, 0xffffffffu, kBuildMarkNoteType};
  std::memcpy(notes.data(), &h, sizeof h);
  EXPECT_EQ(find_elf_note(image(notes), "podnet", kBuildMarkNoteType), std::nullopt);
}

}  // namespace
}  // namespace podnet::ipam
