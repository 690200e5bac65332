#pragma once
// Removing a pod's veth pair without making DEL wait for the kernel. Unregistering a netdev
// waits for RCU grace periods (tens of ms on a busy VM, most of the reference plugin's DEL);
// the runtime only needs the names free and the pair dead. So DEL takes the pod end down,
// renames both ends out of the way ("pnx" + random), and a detached child process (sharing our
// memory: no fork copy) deletes the pair.
// GC removes "pnx" links a killed deleter left behind.
#include <optional>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

inline constexpr std::string_view kRetiredPrefix = "pnx";

// How the host end leaves. A link that holds routes (ptp mode: the host route to the pod) must
// go down first, which flushes them: a re-ADD must not find them. A bridge port holds none and
// may be renamed while up (Linux >= 6.2; older kernels answer EBUSY and it is taken down),
// which spares taking it down (an RCU grace period).
enum class HostEnd { take_down, rename_live };

// Retires the pair whose host end is `host_veth` (pod end `ifname` in `podns`, when known).
// The pod end always goes down first (its routes and addresses must not outlive DEL). Returns
// false when there was no such link. Falls back to a synchronous delete when a rename fails.
Result<bool> retire_pair(sys::Netlink& host, const std::string& host_veth,
                         const sys::Netns* podns, const std::string& ifname,
                         HostEnd host_end = HostEnd::take_down);

// Deletes retired links in the caller's namespace (GC). Returns how many.
Result<int> remove_retired_links(sys::Netlink& host);

}  // namespace podnet::plugin
