#pragma once
// Whether the store answered lately. Every podnetd part that talks to the store reports each
// call's outcome here; /readyz ("store not reachable recently"), podnet_store_up and
// podnet_store_errors_total read it.
#include <chrono>
#include <cstdint>
#include <string_view>

#include "podnet/agent/metrics.hpp"
#include "podnet/common/error.hpp"

namespace podnet::agent {

class StoreHealth {
 public:
  using Clock = std::chrono::steady_clock;

  void ok();
  // Logs "<what>: <error>" as a warning.
  void failed(const Error& e, std::string_view what);
  Clock::time_point last_ok() const { return last_ok_; }  // epoch: never
  void metrics(MetricsSnapshot& m) const;

 private:
  Clock::time_point last_ok_{};
  bool up_ = false;
  uint64_t errors_ = 0;
};

}  // namespace podnet::agent
