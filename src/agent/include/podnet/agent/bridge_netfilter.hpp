#pragma once
// Bridge mode needs br_netfilter: without it a reply switched between two pods of one bridge
// never meets conntrack, so a pod calling a Service whose endpoint shares its bridge gets no
// answer. Loading a kernel module is the host's business: podnetd only says so (pure decision).
#include <optional>
#include <string>

#include "podnet/cluster/conflist.hpp"

namespace podnet::agent {

// The warning for `mode` when the namespace has (or lacks) /proc/sys/net/bridge; none when the
// mode is ptp or br_netfilter is loaded.
inline std::optional<std::string> bridge_netfilter_warning(cluster::PodMode mode,
                                                           bool bridge_sysctls_present) {
  if (mode != cluster::PodMode::bridge || bridge_sysctls_present) return std::nullopt;
  return "bridge mode: br_netfilter is not loaded (no /proc/sys/net/bridge in this network "
         "namespace): a pod calling a Service whose chosen endpoint is on its own bridge gets no "
         "answer; load it with `modprobe br_netfilter`";
}

}  // namespace podnet::agent
