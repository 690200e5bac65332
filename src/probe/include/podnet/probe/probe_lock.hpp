#pragma once
// Probes on one machine run one at a time: every namespace's trace tables have one fixed name
// (a table of that name is a crashed run's, and the next probe removes it), and a packet traced
// by one probe would show in another's events. An exclusive flock on one file in /run, held
// from the tables' creation to their removal; a second `podnetctl trace` waits for the first.
#include <chrono>
#include <functional>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::probe {

inline constexpr const char* kProbeLockPath = "/run/podnet-trace.lock";

class ProbeLock {
 public:
  // Waits up to `wait` for the lock, checking `interrupted` (an error ends the wait) every
  // 20 ms. Error after `wait`: "another trace probe holds /run/podnet-trace.lock (pid N)".
  static Result<ProbeLock> acquire(const std::string& path, std::chrono::milliseconds wait,
                                   const std::function<Result<>()>& interrupted);

 private:
  explicit ProbeLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace podnet::probe
