#pragma once
// podnetd's loop timers, pure: when the full pass (every route reconciled against the kernel,
// the masquerade table replaced), the underlay re-read and the retry of node outputs not done
// yet are due. The loop asks once a pass and says what it ran; time comes from the caller.
#include <chrono>
#include <optional>

namespace podnet::agent {

struct LoopPeriods {
  std::chrono::milliseconds resync{30000};   // --resync-period: repairs drift in the kernel
  std::chrono::milliseconds underlay{5000};  // MTU, addresses, ifindex re-read
  std::chrono::milliseconds retry{1000};     // node entry / conflist / masquerade not in place
};

class LoopClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit LoopClock(LoopPeriods p = {}) : p_(p) {}

  // A full pass is due a resync period after the last one (at once before the first).
  bool resync_due(time_point now) const { return !full_ || now - *full_ >= p_.resync; }
  void full_pass_done(time_point now) { full_ = now; }

  bool underlay_due(time_point now) const { return now >= next_underlay_; }
  void underlay_read(time_point now) { next_underlay_ = now + p_.underlay; }

  // pending: some node output is not in place (the node entry, the conflist, the masquerade).
  bool retry_due(time_point now, bool pending) const { return pending && now >= next_retry_; }
  void retried(time_point now) { next_retry_ = now + p_.retry; }

  const LoopPeriods& periods() const { return p_; }

 private:
  LoopPeriods p_;
  std::optional<time_point> full_;
  time_point next_underlay_{}, next_retry_{};
};

}  // namespace podnet::agent
