#pragma once
// One `lab up`/`lab down` at a time per machine: flock on /run/podnet-lab itself (a directory
// lock leaves no file behind).
#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::lab {

class LabLock {
 public:
  static Result<LabLock> acquire();

 private:
  explicit LabLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace podnet::lab
