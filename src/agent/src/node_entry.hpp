#pragma once
// podnetd's node entry /podnet/nodes/<name>: what peers route to (internalIP, podCIDR, VTEP
// MAC), written under the subnet lease so it goes with it. Rewritten when something in it
// changed (the loop marks it stale) and as a heartbeat at most once a minute.
#include <chrono>
#include <string>

#include "podnet/net/ip.hpp"
#include "podnet/store/store.hpp"
#include "store_health.hpp"

namespace podnet::agent {

class NodeEntry {
 public:
  using Clock = std::chrono::steady_clock;

  NodeEntry(store::Store& s, std::string node, StoreHealth& health);

  struct Facts {
    net::IpAddress internal_ip;
    net::Prefix pod_cidr;
    std::string vtep_mac;  // empty with host-gw
    store::LeaseId lease = 0;
  };
  // Writes the entry; a store error is reported to the store health ("publish node").
  bool publish(const Facts& f);
  // What the entry says is out of date (or it was deleted): publish() again.
  void stale() { published_ = false; }
  bool published() const { return published_; }
  // Not published, or the last write is a heartbeat period old.
  bool due(Clock::time_point now) const;

 private:
  store::Store& store_;
  std::string node_, key_;
  StoreHealth& health_;
  bool published_ = false;
  Clock::time_point last_write_{};
};

}  // namespace podnet::agent
