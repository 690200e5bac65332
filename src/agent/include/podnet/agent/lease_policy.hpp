#pragma once
// The subnet lease's decisions, pure: what a keep-alive's answer means, and how a lease that
// had to be taken again is told (log line, LeaseLost event).
#include <chrono>
#include <string>

#include "podnet/cluster/subnet_alloc.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::agent {

enum class KeepAlive {
  renewed,       // the store extended the lease
  store_failed,  // the store did not answer: the lease may still be there, try next tick
  gone,          // the store says the lease is gone (expired or revoked): take one again
};
// keep_alive: the TTL the store granted again (0: the lease no longer exists) or its error.
KeepAlive keep_alive_step(const Result<std::chrono::seconds>& keep_alive);

// "leased", "kept (lease held)", "kept (recorded)": how a subnet was obtained.
const char* acquired_how(cluster::SubnetChoice::Source s);

// "lease lost, re-acquired 192.168.1.0/24" or "... (was 192.168.4.0/24: taken meanwhile)".
std::string reacquired_message(const net::Prefix& before, const net::Prefix& after);

}  // namespace podnet::agent
