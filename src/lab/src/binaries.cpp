#include "podnet/lab/binaries.hpp"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

namespace podnet::lab {

std::pair<std::string, std::string> binary_candidates(std::string_view self,
                                                      std::string_view name) {
  std::filesystem::path dir = std::filesystem::path(self).parent_path();
  return {(dir / name).string(), (dir.parent_path() / name / name).string()};
}

Result<Binaries> find_binaries(std::string self) {
  std::error_code ec;
  if (self.empty()) {
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(Error::from_errno(ec.value(), "read /proc/self/exe"));
    self = p.string();
  }
  auto real = std::filesystem::canonical(self, ec);
  if (ec) return fail(Error::from_errno(ec.value(), "resolve " + self));
  Binaries b;
  b.podnetctl = real.string();
  auto find = [&](std::string_view name) -> Result<std::string> {
    auto [same_dir, build_tree] = binary_candidates(b.podnetctl, name);
    for (const auto& c : {same_dir, build_tree})
      if (::access(c.c_str(), X_OK) == 0) return c;
    return fail(fmt::format("{} not found (looked for {} and {})", name, same_dir, build_tree));
  };
  b.podnetd = PODNET_TRY(find("podnetd"));
  b.podnet = PODNET_TRY(find("podnet"));
  b.podnet_ipam = PODNET_TRY(find("podnet-ipam"));
  return b;
}

}  // namespace podnet::lab
