#include "underlay_watch.hpp"

#include "node_io.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

// Everything derived from the underlay follows a change: the VTEP (MTU, local address, lower
// device), host-gw on-link checks, the node entry peers route to, and the conflist for pods
// created from now on (running pods keep their MTU, as after a flannel restart). A missing
// interface keeps the last state: its routes went with it.
NodeChange UnderlayWatch::check() {
  auto now = read_underlay(nl_, iface_, want_);
  if (!now) {
    if (!missing_)
      log::warn("underlay: {}; keeping the last known one until it is back", now.error().message);
    missing_ = true;
    return {};
  }
  if (missing_) log::info("underlay {} is back", iface_);
  missing_ = false;
  NodeChange c = underlay_node_change(ul_, *now);
  if (!c.any()) return c;
  log::info("underlay {} changed: {}; updating routes{}{}", iface_, underlay_change(ul_, *now),
            c.node_ip ? ", the node entry" : "", c.mtu ? " and the conflist" : "");
  ul_ = *now;
  ++changes_;
  return c;
}

void UnderlayWatch::metrics(MetricsSnapshot& m) const {
  m.underlay_mtu = ul_.mtu;
  m.underlay_changes = changes_;
}

}  // namespace podnet::agent
