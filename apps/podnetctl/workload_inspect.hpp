#pragma once
// `podnetctl inspect pod NAME`: the pod's network as the kernel has it, read with netlink in the
// pod's and its node's network namespaces.
#include <string>
#include <string_view>

#include "commands.hpp"

namespace podnet::ctl {

Result<std::string> inspect_pod(const Context& ctx, std::string_view name);

}  // namespace podnet::ctl
