#include "podnet/sys/sysctl.hpp"

#include <fcntl.h>

#include "podnet/common/files.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::sys {
namespace {

Result<std::string> sysctl_path(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.find("..") != std::string_view::npos)
    return fail(Error::from_errno(EINVAL, fmt::format("sysctl {}: bad key", key)));
  return "/proc/sys/" + std::string(key);
}

}  // namespace

Result<> write_sysctl(std::string_view key, std::string_view value) {
  std::string path = PODNET_TRY(sysctl_path(key));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(fmt::format("write sysctl {}={}", key, value));
  // One write(): sysctl handlers parse the value per write call.
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return fail_errno(fmt::format("write sysctl {}={}", key, value));
  if (static_cast<size_t>(n) != value.size())
    return fail(fmt::format("write sysctl {}={}: short write", key, value));
  return {};
}

Result<std::string> read_sysctl(std::string_view key) {
  std::string path = PODNET_TRY(sysctl_path(key));
  auto text = read_file(path);
  if (!text) return fail(text.error().context(fmt::format("read sysctl {}", key)));
  std::string v = std::move(*text);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

}  // namespace podnet::sys
