#pragma once
// Reads `inspect node`'s pods section: the conflist podnetd wrote for the node and, in bridge
// mode, the bridge in the node's network namespace (core/pod_wiring_view.hpp shows it).
#include <string>

#include "core/pod_wiring_view.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::ctl {

// `pods`: this node's pods with an address, per the store.
PodWiring read_pod_wiring(const sys::Netns& ns, const std::string& conflist,
                          const net::Prefix& pod_cidr, size_t pods);

}  // namespace podnet::ctl
