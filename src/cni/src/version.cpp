#include "podnet/cni/version.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace podnet::cni {

namespace {
constexpr std::array<std::string_view, 5> kVersions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0",
                                                       "1.1.0"};
}

std::span<const std::string_view> supported_versions() { return kVersions; }

bool is_supported(std::string_view v) {
  return std::find(kVersions.begin(), kVersions.end(), v) != kVersions.end();
}

std::optional<SemVer> SemVer::parse(std::string_view v) {
  SemVer s;
  int* parts[3] = {&s.major, &s.minor, &s.patch};
  for (int i = 0; i < 3; ++i) {
    auto dot = v.find('.');
    auto part = v.substr(0, dot);
    if (part.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), *parts[i]);
    if (ec != std::errc{} || p != part.data() + part.size()) return std::nullopt;
    if (i < 2) {
      if (dot == std::string_view::npos) return std::nullopt;
      v.remove_prefix(dot + 1);
    } else if (dot != std::string_view::npos) {
      return std::nullopt;
    }
  }
  return s;
}

bool version_at_least(std::string_view a, std::string_view b) {
  return SemVer::parse(a).value_or(SemVer{}) >= SemVer::parse(b).value_or(SemVer{});
}

}  // namespace podnet::cni
