#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet {

Result<std::string> read_file(const std::string& path);
// A regular file of at most max_bytes (a config someone else names: never a FIFO or device).
Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes);
// Reads a whole stream fd (stdin) until EOF; more than max_bytes is an error.
Result<std::string> read_all(int fd, size_t max_bytes = SIZE_MAX);
// Writes all bytes, retrying on EINTR and short writes.
Result<> write_all(int fd, std::string_view data);
// Writes path atomically: a temp file with a random name created exclusively (O_EXCL,
// O_NOFOLLOW) in the same directory, optional fsync, rename over path.
Result<> write_file_atomic(const std::string& path, std::string_view data, bool durable,
                           int mode = 0644);
// The same for `name` in the directory dirfd; `shown` names the file in errors.
Result<> write_file_atomic_at(int dirfd, const std::string& name, std::string_view data,
                              bool durable, int mode, const std::string& shown);
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
