#pragma once
// The node-side I/O the agent needs besides routes: the underlay interface, the state-dir
// files, the CNI conflist file and the masquerade table.
#include <optional>
#include <string>
#include <vector>

#include "podnet/agent/underlay.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/sys/mac.hpp"
#include "podnet/sys/netlink.hpp"

namespace podnet::agent {


// The interface's first IPv4 address is the node IP unless `want` names one of its addresses.
// True when read_underlay failed only because the interface is missing or has no address yet
// (worth waiting for), not because of a wrong --ip.
bool underlay_pending(const Error& e);

Result<Underlay> read_underlay(sys::Netlink& nl, const std::string& iface,
                               const std::optional<net::IpAddress>& want);

// state-dir files: missing or unparsable -> nullopt.
std::optional<net::Prefix> load_subnet_state(const std::string& state_dir);
Result<> save_subnet_state(const std::string& state_dir, const net::Prefix& subnet);
// The recorded VTEP MAC, else a new one recorded now.
Result<sys::Mac> load_or_create_vtep_mac(const std::string& state_dir, const std::string& node);

// Writes the file atomically when its content differs; returns true when it wrote.
Result<bool> write_if_changed(const std::string& path, const std::string& text);

// Runs nft text as one libnftables transaction in the calling thread's namespace.
Result<> run_nft(const std::string& text);

}  // namespace podnet::agent
