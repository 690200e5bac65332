#pragma once
// resolv.conf → the CNI result's dns, as host-local reads it. Pure (the caller reads the file).
#include <string_view>

#include "podnet/cni/result.hpp"

namespace podnet::ipam {

// nameserver (one each), domain (last wins), search and options (all words); comments (#, ;)
// and malformed lines are skipped.
cni::Dns parse_resolv_conf(std::string_view text);

}  // namespace podnet::ipam
