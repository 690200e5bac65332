#include "podnet/lab/binaries.hpp"

#include <unistd.h>

#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace podnet::lab {

namespace {
// The build's `make install` destination of the CNI plugins (CMake's PODNET_CNI_BIN_DIR).
#ifndef PODNET_CNI_BIN_DIR
#define PODNET_CNI_BIN_DIR "/opt/cni/bin"
#endif
constexpr std::string_view installed_cni_bin_dir = PODNET_CNI_BIN_DIR;
}  // namespace

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
  // `plugin`: also where `make install` puts the CNI plugins (podnetctl in <prefix>/bin).
  auto find = [&](std::string_view name, bool plugin) -> Result<std::string> {
    auto [same_dir, build_tree] = binary_candidates(b.podnetctl, name);
    std::vector<std::string> candidates = {same_dir, build_tree};
    if (plugin) candidates.push_back(fmt::format("{}/{}", installed_cni_bin_dir, name));
    for (const auto& c : candidates)
      if (::access(c.c_str(), X_OK) == 0) return c;
    return fail(fmt::format("{} not found (looked for {})", name, fmt::join(candidates, ", ")));
  };
  b.podnetd = PODNET_TRY(find("podnetd", false));
  b.podnet = PODNET_TRY(find("podnet", true));
  b.podnet_ipam = PODNET_TRY(find("podnet-ipam", true));
  return b;
}

}  // namespace podnet::lab
