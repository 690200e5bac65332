#pragma once
// Which podnet-ipam binary podnet may replace by a call into its own copy of the IPAM code.
// podnet-ipam carries an ELF note (owner "podnet", type kBuildMarkNoteType) holding the build
// mark; podnet reads the first page of the podnet-ipam it finds in CNI_PATH and runs the IPAM
// flows in-process only when the mark equals its own (same version and same configured build
// tree). Any other binary of that name (a wrapper, another version) is still exec'd.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::ipam {

// Set per configured build tree by CMake (version + a random token kept in the cache).
inline constexpr std::string_view kBuildMark = PODNET_IPAM_BUILD_MARK;
inline constexpr std::string_view kBuildMarkOwner = "podnet";
inline constexpr uint32_t kBuildMarkNoteType = 0x504e4d31;  // "PNM1"

// The descriptor of the first note of `owner` and `type` in the PT_NOTE segments of a
// little-endian ELF64 image whose first bytes are `head` (segments beyond `head` are not
// seen). nullopt when `head` is not such an image or holds no such note. Pure.
std::optional<std::string> find_elf_note(std::string_view head, std::string_view owner,
                                         uint32_t type);

// Whether the executable at `path` carries exactly kBuildMark (reads its first 4 KiB).
bool has_build_mark(const std::string& path);

}  // namespace podnet::ipam
