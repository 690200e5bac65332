#pragma once
// One podnetd per state dir: an flock on <state-dir>/podnetd.lock held for the daemon's life,
// and its pid in <state-dir>/podnetd.pid so `podnetd --leave` can stop it first.
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::agent {

// Whether a /proc/<pid>/fdinfo/<fd> text shows an exclusive flock (pure; for tests).
bool fdinfo_has_flock(std::string_view fdinfo);

class AgentLock {
 public:
  // Fails when another process holds it ("... held by pid N").
  static Result<AgentLock> acquire(const std::string& state_dir);
  // Stops the podnetd holding the lock (SIGTERM, then waits up to `wait_ms`); returns the lock.
  // The pid file's process is signalled only if it holds the lock (never an unrelated one).
  static Result<AgentLock> take_over(const std::string& state_dir, int wait_ms);

 private:
  explicit AgentLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace podnet::agent
