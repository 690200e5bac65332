#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace podnet::cni {

inline constexpr std::string_view kLatestVersion = "1.1.0";

// Versions whose configs podnet accepts and in whose result format it answers.
std::span<const std::string_view> supported_versions();
bool is_supported(std::string_view v);

struct SemVer {
  int major = 0, minor = 0, patch = 0;
  static std::optional<SemVer> parse(std::string_view v);
  friend auto operator<=>(const SemVer&, const SemVer&) = default;
};
// a >= b; unparsable versions compare as 0.0.0.
bool version_at_least(std::string_view a, std::string_view b);

}  // namespace podnet::cni
