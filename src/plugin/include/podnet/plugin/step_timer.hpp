#pragma once
// Per-step durations of one plugin command, logged at debug level (netconf "logLevel":
// "debug", to stderr and logFile) as one line, so a run over many pods shows which step grows
// (bench_cni --debug-log). Costs two clock reads per step.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podnet::plugin {

using StepTimes = std::vector<std::pair<std::string, long>>;  // step, microseconds

// "timing: a=12us b=40us total=52us" (pure).
std::string format_steps(const StepTimes& steps);

class StepTimer {
 public:
  StepTimer() : last_(std::chrono::steady_clock::now()) {}
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  ~StepTimer();  // logs the steps at debug level
  // Ends a step: the time since the previous mark (or construction) is charged to `step`.
  void mark(std::string_view step);

 private:
  std::chrono::steady_clock::time_point last_;
  StepTimes steps_;
};

}  // namespace podnet::plugin
