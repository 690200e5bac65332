#pragma once
// Directories and files that root-run podnet code creates or writes where others might have
// planted something. A directory is trusted when it is owned by the effective uid and not
// writable by group or others, and every directory (and symlink) on the way to it is owned by
// root or the effective uid and not writable by others unless sticky (like /tmp). Inside a
// trusted directory nobody else can create, replace or link entries, so files opened through
// its fd with O_NOFOLLOW are podnet's own.
#include <optional>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet {

// Opens directory `path` (a relative one from the working directory) as above, creating missing
// components with `mode` when `create`. Errors name the offending path: "<path>: owned by uid 1000
// ... refusing to use it". ENOENT (sys_errno) when it is missing and !create.
Result<UniqueFd> open_trusted_dir(const std::string& path, bool create, int mode = 0755);

// Why a directory with this owner and mode may not be used (nullopt: it may), for the last
// component (`leaf`) or one on the way. Pure, for the tests.
std::optional<std::string> untrusted_dir_reason(unsigned uid, unsigned mode, unsigned euid,
                                                bool leaf);

// Opens (creating it 0600 if missing) a file that root shares with its other processes (a
// lock, a store file): its directory must be trusted, the file never a link, and a regular
// file of the effective uid with a single link. `flags`: O_RDWR, O_WRONLY | O_APPEND ...
Result<UniqueFd> open_owned_file(const std::string& path, int flags);

// Opens `path` for appending (a log file): its directory must be trusted; the file is created
// 0600 if missing, never through a symlink, and must be a regular file of the effective uid
// with a single link.
Result<UniqueFd> open_append_file(const std::string& path);

}  // namespace podnet
