#pragma once
// Applies a route plan to the kernel through sys::Netlink: ensures the VTEP, reads podnet's
// current routes / neighbours / FDB entries, and applies only the difference (so a restart with
// the same peers changes nothing and established flows are not interrupted).
#include <cstddef>
#include <functional>
#include <optional>

#include "podnet/common/error.hpp"
#include "podnet/routes/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::routes {

struct ApplyStats {
  size_t added = 0;
  size_t replaced = 0;
  size_t removed = 0;
  bool vtep_created = false;  // created or recreated this time
  size_t actions() const { return added + replaced + removed; }
};

// The VXLAN attributes sys::LinkInfo does not carry (VNI, UDP port, lower device, local
// address), read with libnl in the calling thread's namespace (use sys::run_in for another).
struct VxlanAttrs {
  uint32_t vni = 0;
  uint32_t port = 0;
  uint32_t dev = 0;
  std::optional<net::IpAddress> local;
};
Result<VxlanAttrs> probe_vxlan(const std::string& name);

class RouteManager {
 public:
  // nl is bound to the node's namespace; ns (optional) is that same namespace, used to read the
  // VTEP's VXLAN attributes (VNI, port, local); nullptr: the calling thread's namespace.
  explicit RouteManager(sys::Netlink& nl, const sys::Netns* ns = nullptr) : nl_(nl), ns_(ns) {}

  // Called with each action just before it is applied (for logs: the line is out even when
  // the action then fails).
  using ActionObserver = std::function<void(const Action&)>;

  Result<ApplyStats> apply(const WantedState& wanted, const ActionObserver& before_each = {});
  // The podnet-owned state the kernel has now (vtep_ifindex 0 when no VTEP of that name).
  Result<CurrentState> read_current(const WantedState& wanted);

 private:
  Result<int> ensure_vtep(const sys::VxlanSpec& spec, const net::Prefix& addr, bool& created);
  sys::Netlink& nl_;
  const sys::Netns* ns_;
};

}  // namespace podnet::routes
