#pragma once
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet {

Result<std::string> read_file(const std::string& path);
// Reads a whole stream fd (stdin) until EOF.
Result<std::string> read_all(int fd);
// Writes all bytes, retrying on EINTR and short writes.
Result<> write_all(int fd, std::string_view data);
// Writes path atomically: temp file in the same directory, optional fsync, rename.
Result<> write_file_atomic(const std::string& path, std::string_view data, bool durable,
                           int mode = 0644);
// mkdir -p with the given mode.
Result<> make_dirs(const std::string& path, int mode = 0755);
// fsyncs a directory so a create/rename/unlink in it survives a crash.
Result<> sync_dir(const std::string& path);

// An exclusive flock() on a file, held until destruction.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::string& path);
  int fd() const { return fd_.get(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing the fd drops the lock
};

}  // namespace podnet
