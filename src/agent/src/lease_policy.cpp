#include "podnet/agent/lease_policy.hpp"

#include <fmt/format.h>

namespace podnet::agent {

KeepAlive keep_alive_step(const Result<std::chrono::seconds>& keep_alive) {
  if (!keep_alive) return KeepAlive::store_failed;
  return keep_alive->count() == 0 ? KeepAlive::gone : KeepAlive::renewed;
}

const char* acquired_how(cluster::SubnetChoice::Source s) {
  switch (s) {
    case cluster::SubnetChoice::Source::held:
      return "kept (lease held)";
    case cluster::SubnetChoice::Source::previous:
      return "kept (recorded)";
    default:
      return "leased";
  }
}

std::string reacquired_message(const net::Prefix& before, const net::Prefix& after) {
  if (after == before) return fmt::format("lease lost, re-acquired {}", after.str());
  return fmt::format("lease lost, re-acquired {} (was {}: taken meanwhile)", after.str(),
                     before.str());
}

}  // namespace podnet::agent
