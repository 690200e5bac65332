#include "podnet/agent/readiness.hpp"

namespace podnet::agent {

Readiness readiness(const ReadyInputs& in) {
  if (!in.lease_held) return {false, "no subnet lease"};
  if (!in.conflist_written) return {false, "CNI conflist not written"};
  if (!in.reconciled) return {false, "routes not reconciled yet"};
  if (in.last_store_ok == std::chrono::steady_clock::time_point{} ||
      in.now - in.last_store_ok > in.store_grace)
    return {false, "store not reachable recently"};
  return {true, "ok"};
}

}  // namespace podnet::agent
