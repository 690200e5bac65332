#pragma once
// podnetd's underlay while running: re-read on the loop's timer (MTU raised for jumbo frames,
// an address moved by DHCP or an operator, the interface re-created). Each change is logged and
// reported as a NodeChange; a missing interface keeps the last known state until it is back.
#include <cstdint>
#include <optional>
#include <string>

#include "podnet/agent/metrics.hpp"
#include "podnet/agent/node_change.hpp"
#include "podnet/agent/underlay.hpp"
#include "podnet/sys/netlink.hpp"

namespace podnet::agent {

class UnderlayWatch {
 public:
  UnderlayWatch(sys::Netlink& nl, std::string iface, std::optional<net::IpAddress> want,
                Underlay initial)
      : nl_(nl), iface_(std::move(iface)), want_(want), ul_(std::move(initial)) {}

  NodeChange check();
  const Underlay& current() const { return ul_; }
  void metrics(MetricsSnapshot& m) const;

 private:
  sys::Netlink& nl_;
  std::string iface_;
  std::optional<net::IpAddress> want_;
  Underlay ul_;
  bool missing_ = false;
  uint64_t changes_ = 0;
};

}  // namespace podnet::agent
