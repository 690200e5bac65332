#pragma once
// Which CNI code a kernel error about the node bridge gets (pure).
#include <string>

#include "podnet/cni/error.hpp"

namespace podnet::plugin {

// ENODEV: the bridge vanished between our lookup and its use (deleted concurrently, by an
// admin or a node agent tearing the network down): nothing is wrong with the request, so the
// runtime should try again later (code 11). Anything else is an I/O failure (code 5).
cni::CniError bridge_error(int sys_errno, std::string msg);

}  // namespace podnet::plugin
