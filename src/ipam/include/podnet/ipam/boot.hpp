#pragma once
// Reclaiming allocations of earlier boots (containers do not survive a reboot; host-local
// leaks them all). Pure decisions; the disk store applies them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace podnet::ipam {

enum class BootAction {
  keep,           // recorded boot is the current one
  adopt,          // no record (new network, or migrated from host-local): record, free nothing
  reclaim_all,    // earlier boot and only podnet-ipam wrote since: every allocation is stale
  reclaim_older,  // earlier boot but someone else (host-local) wrote since: free only
                  // records last changed before this boot started
};

// `podnet_only` is true when nobody but podnet-ipam changed the network directory since
// podnet-ipam last left it consistent (the directory's mtime still carries podnet's mark).
BootAction decide_boot(const std::optional<std::string>& recorded, std::string_view current,
                       bool podnet_only);

// Whether an address record whose ctime is `ctime_ns` goes under `action`. reclaim_older
// relies on the clock: a record changed in this boot has ctime >= the boot time.
bool reclaim_record(BootAction action, int64_t ctime_ns, int64_t boot_time_ns);

}  // namespace podnet::ipam
