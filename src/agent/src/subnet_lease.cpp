#include "subnet_lease.hpp"

#include <fmt/format.h>

#include "node_io.hpp"
#include "podnet/agent/lease_policy.hpp"
#include "podnet/common/log.hpp"
#include "store_ops.hpp"

namespace podnet::agent {

SubnetLease::SubnetLease(store::Store& s, const Options& o, cluster::ClusterConfig cfg,
                         AgentEvents& events, StoreHealth& health)
    : store_(s),
      node_(o.node),
      state_dir_(o.state_dir),
      ttl_(o.lease_ttl),
      cfg_(std::move(cfg)),
      events_(events),
      health_(health) {}

Result<> SubnetLease::acquire(const net::IpAddress& node_ip,
                              const std::optional<net::Prefix>& prefer) {
  held_ = false;
  lease_ = PODNET_TRY(store_.grant_lease(ttl_));
  auto got = PODNET_TRY(acquire_subnet(store_, cfg_, node_, node_ip, prefer, lease_));
  health_.ok();
  held_ = true;
  const char* how = acquired_how(got.source);
  if (!logged_) {
    log::info("subnet {} {}", got.subnet.str(), how);
    events_.lease_acquired(got.subnet, how);
  } else if (subnet_ && *subnet_ != got.subnet) {
    log::warn("subnet changed from {} to {}", subnet_->str(), got.subnet.str());
  }
  logged_ = true;
  subnet_ = got.subnet;
  if (auto r = save_subnet_state(state_dir_, *subnet_); !r)
    log::warn("cannot record the subnet in {}: {}", state_dir_, r.error().message);
  return {};
}

SubnetLease::Renewal SubnetLease::renew(const net::IpAddress& node_ip) {
  if (!held_) return {.change = reacquire(node_ip)};
  auto k = store_.keep_alive(lease_);
  switch (keep_alive_step(k)) {
    case KeepAlive::store_failed:
      ++renew_errors_;
      renew_failing_ = true;
      health_.failed(k.error(), "lease renewal (will retry)");
      return {};
    case KeepAlive::gone:
      health_.ok();
      log::warn("lease {:x} for {} is gone (expired or revoked)", lease_, subnet_->str());
      events_.lease_lost(
          fmt::format("Lease for subnet {} is gone (expired or revoked)", subnet_->str()));
      ++lost_;
      held_ = false;
      return {.change = reacquire(node_ip)};
    case KeepAlive::renewed:
      break;
  }
  health_.ok();
  ++renewals_;
  if (renew_failing_) {
    log::info("lease renewed ({}s): store reachable again", k->count());
    events_.lease_renewed_after_failure();
  } else {
    log::debug("lease renewed ({}s)", k->count());
  }
  renew_failing_ = false;
  return {.renewed = true};
}

NodeChange SubnetLease::reacquire(const net::IpAddress& node_ip) {
  net::Prefix before = *subnet_;
  if (auto r = acquire(node_ip, before); !r) {
    health_.failed(r.error(), "re-acquire lease");
    return {};
  }
  const std::string what = reacquired_message(before, *subnet_);
  log::warn("{}", what);
  events_.lease_lost("Subnet " + what);
  return NodeChange{.lease = true, .subnet = *subnet_ != before};
}

void SubnetLease::metrics(MetricsSnapshot& m) const {
  m.subnet = subnet_ ? subnet_->str() : std::string();
  m.lease_held = held_;
  m.lease_renewals = renewals_;
  m.lease_renew_errors = renew_errors_;
  m.lease_lost = lost_;
}

}  // namespace podnet::agent
