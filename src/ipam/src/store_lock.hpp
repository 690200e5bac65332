#pragma once
// The network's lock file, taken with a time limit (private to podnet_ipam_disk).
#include <chrono>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::ipam {

// An exclusive flock() on the file "lock" in dirfd (created if missing, never through a
// link), held while the fd lives; `path` names it in errors. Waits at most
// `timeout` for another holder; then fails with sys_errno ETIMEDOUT, which the plugin reports
// as "try again later" (code 11) rather than hanging the runtime.
Result<UniqueFd> lock_within(int dirfd, const std::string& path,
                             std::chrono::milliseconds timeout);

}  // namespace podnet::ipam
