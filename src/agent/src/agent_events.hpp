#pragma once
// podnetd's events about its node (Node <name> in the event store): subnet lease acquired,
// lost, renewed after an outage; routes to peers added, changed, removed; ready / not ready
// with the reason; service proxy sync failures. Queued to a recorder thread: the agent's loop
// never waits on an event write.
#include <optional>
#include <string>
#include <vector>

#include "podnet/events/recorder.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/routes/plan.hpp"

namespace podnet::agent {

class AgentEvents {
 public:
  AgentEvents(store::Store& s, const std::string& node);

  void lease_acquired(const net::Prefix& subnet, std::string_view how);
  void lease_lost(const std::string& message);  // Warning LeaseLost
  void lease_renewed_after_failure();
  void routes_applied(const std::vector<routes::Peer>& before,
                      const std::vector<routes::Peer>& after);
  // Records NodeReady / NodeNotReady on a change (the first observation only when ready).
  void readiness(bool ready, const std::string& reason);
  void proxy_sync_failed(const std::string& error);

 private:
  events::Recorder rec_;
  cluster::ObjectRef node_;
  std::optional<bool> ready_;
};

}  // namespace podnet::agent
