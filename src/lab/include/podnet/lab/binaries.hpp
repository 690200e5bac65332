#pragma once
// Where the lab finds podnet's binaries: next to podnetctl's real path (one directory), in the
// build tree (build/apps/<name>/<name>, podnetctl in build/apps/podnetctl), and for the CNI
// plugins also in the directory `make install` puts them (PODNET_CNI_BIN_DIR, /opt/cni/bin).
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"

namespace podnet::lab {

struct Binaries {
  std::string podnetctl;  // real path of the running podnetctl (the kubelet/controller)
  std::string podnetd;
  std::string podnet;
  std::string podnet_ipam;
};

// The candidates for `name` when podnetctl is at `self` (pure): <dir>/<name>, then
// <dir>/../<name>/<name>.
std::pair<std::string, std::string> binary_candidates(std::string_view self, std::string_view name);
// Resolves every binary from `self` (default: /proc/self/exe); error names the missing one and
// where it was looked for.
Result<Binaries> find_binaries(std::string self = {});

}  // namespace podnet::lab
