#pragma once
// /readyz: ready only when the node can take pods. Pure, no I/O.
#include <chrono>
#include <string>

namespace podnet::agent {

struct ReadyInputs {
  bool lease_held = false;
  bool conflist_written = false;
  bool reconciled = false;                                // the first route reconcile finished
  std::chrono::steady_clock::time_point last_store_ok{};  // last successful store call
  std::chrono::steady_clock::time_point now{};
  std::chrono::milliseconds store_grace{30000};  // "recently": the lease TTL
};

struct Readiness {
  bool ready = false;
  std::string reason;  // "ok" or what is missing, e.g. "no subnet lease"
};

Readiness readiness(const ReadyInputs& in);

}  // namespace podnet::agent
