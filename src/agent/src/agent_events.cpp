#include "agent_events.hpp"

#include <fmt/format.h>

#include "podnet/agent/peers.hpp"

namespace podnet::agent {

AgentEvents::AgentEvents(store::Store& s, const std::string& node)
    : rec_(s, cluster::EventSource{"podnetd", node}), node_(cluster::node_ref(node)) {}

void AgentEvents::lease_acquired(const net::Prefix& subnet, std::string_view how) {
  rec_.normal(node_, "LeaseAcquired", fmt::format("Subnet {} {}", subnet.str(), how));
}

void AgentEvents::lease_lost(const std::string& message) {
  rec_.warning(node_, "LeaseLost", message);
}

void AgentEvents::lease_renewed_after_failure() {
  rec_.normal(node_, "LeaseRenewed", "Subnet lease renewed: the store answers again");
}

void AgentEvents::routes_applied(const std::vector<routes::Peer>& before,
                                 const std::vector<routes::Peer>& after) {
  for (auto& e : peer_route_events(before, after))
    rec_.normal(node_, std::move(e.reason), std::move(e.message));
}

void AgentEvents::readiness(bool ready, const std::string& reason) {
  if (ready_ == ready) return;
  if (!ready_ && !ready) return;  // starting up: not ready yet is no news
  ready_ = ready;
  if (ready)
    rec_.normal(node_, "NodeReady", "Node is ready: podnetd can take pods");
  else
    rec_.warning(node_, "NodeNotReady", "Node is not ready: " + reason);
}

void AgentEvents::proxy_sync_failed(const std::string& error) {
  rec_.warning(node_, "ProxySyncFailed", "Service rules: " + error);
}

}  // namespace podnet::agent
