#pragma once
// resolv.conf → the CNI result's dns, as host-local reads it. Pure (the caller reads the file).
#include <cstddef>
#include <string_view>

#include "podnet/cni/result.hpp"

namespace podnet::ipam {

// ipam.resolvConf is read up to this size (real ones are well under 4 KiB).
inline constexpr size_t kMaxResolvConfBytes = 64 * 1024;

// nameserver (one each), domain (last wins), search and options (all words); comments (#, ;)
// and malformed lines are skipped.
cni::Dns parse_resolv_conf(std::string_view text);

}  // namespace podnet::ipam
