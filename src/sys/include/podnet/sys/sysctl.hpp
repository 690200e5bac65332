#pragma once
// /proc/sys access. Keys are paths below /proc/sys, e.g. "net/ipv4/ip_forward" (slashes, because
// interface names may contain dots). net/* keys resolve in the calling thread's network namespace,
// so inside run_in() they apply to that namespace.
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"

namespace podnet::sys {

Result<> write_sysctl(std::string_view key, std::string_view value);
// The value without its trailing newline.
Result<std::string> read_sysctl(std::string_view key);

}  // namespace podnet::sys
