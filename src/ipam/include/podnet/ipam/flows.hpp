#pragma once
// podnet-ipam's commands: parse, lock the network's store, apply, answer.
#include <expected>
#include <optional>

#include "podnet/cni/netconf.hpp"
#include "podnet/cni/skel.hpp"
#include "podnet/ipam/config.hpp"
#include "podnet/ipam/disk_store.hpp"

namespace podnet::ipam::flows {

cni::CmdResult cmd_add(const cni::CmdArgs& args);
cni::CmdResult cmd_del(const cni::CmdArgs& args);
cni::CmdResult cmd_check(const cni::CmdArgs& args);
cni::CmdResult cmd_status(const cni::CmdArgs& args);
cni::CmdResult cmd_gc(const cni::CmdArgs& args);

// The network's store, locked and consistent; nullopt when it does not exist and !create.
std::expected<std::optional<ipam::DiskStore>, cni::CniError> open_store(
    const ipam::StoreLocation& loc, bool create);

// Ends a command: writes the store's pending state (errors are logged; the next command
// repairs an unfinished store) and passes `result` through.
cni::CmdResult finish(ipam::DiskStore& store, cni::CmdResult result);

}  // namespace podnet::ipam::flows
