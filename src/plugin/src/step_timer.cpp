#include "podnet/plugin/step_timer.hpp"

#include <fmt/format.h>

#include "podnet/common/log.hpp"

namespace podnet::plugin {

std::string format_steps(const StepTimes& steps) {
  std::string out = "timing:";
  long total = 0;
  for (const auto& [name, us] : steps) {
    out += fmt::format(" {}={}us", name, us);
    total += us;
  }
  out += fmt::format(" total={}us", total);
  return out;
}

void StepTimer::mark(std::string_view step) {
  auto now = std::chrono::steady_clock::now();
  steps_.emplace_back(std::string(step),
                      std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count());
  last_ = now;
}

StepTimer::~StepTimer() {
  if (!steps_.empty()) log::debug("{}", format_steps(steps_));
}

}  // namespace podnet::plugin
