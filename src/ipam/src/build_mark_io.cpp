#include <fcntl.h>
#include <unistd.h>

#include "podnet/common/unique_fd.hpp"
#include "podnet/ipam/build_mark.hpp"

namespace podnet::ipam {

bool has_build_mark(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  // The linker puts the notes right after the program headers, inside the first page.
  char buf[4096];
  ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  if (n <= 0) return false;
  auto mark = find_elf_note(std::string_view(buf, static_cast<size_t>(n)), kBuildMarkOwner,
                            kBuildMarkNoteType);
  return mark && *mark == kBuildMark;
}

}  // namespace podnet::ipam
