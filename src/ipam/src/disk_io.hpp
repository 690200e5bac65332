#pragma once
// Small *at() file helpers for the disk store (private to podnet_ipam_disk).
#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/common/error.hpp"

namespace podnet::ipam::io {

struct DirEntry {
  std::string name;
  bool regular = false;
  bool directory = false;
};

// Entries of the open directory dirfd (without "." and "..").
Result<std::vector<DirEntry>> list_dir(int dirfd);
// Whole file content; nullopt when it does not exist.
Result<std::optional<std::string>> read_at(int dirfd, const std::string& name);
// Rewrites name in place. Not atomic: only for files whose readers hold the lock and
// tolerate a torn file after a crash.
Result<> write_at(int dirfd, const std::string& name, std::string_view data, mode_t mode);
// Removes name; true when it existed.
Result<bool> unlink_at(int dirfd, const std::string& name);
// mkdir that accepts an existing directory; true when it was created now.
Result<bool> mkdir_at(int dirfd, const std::string& name, mode_t mode);

}  // namespace podnet::ipam::io
