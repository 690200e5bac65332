#pragma once
// A pod's sandbox: its named network namespace (/var/run/netns/<lab>-pod-<pod>, so `ip netns`
// and `podnetctl exec/inspect` see it) held by a pause process, and the pod's container
// process: the built-in HTTP server, inside that namespace.
#include <string>

#include "podnet/common/error.hpp"
#include "wl_process.hpp"

namespace podnet::lab::wl {

// Creates the named netns (lo up) and starts a pause process in it that sleeps until killed.
// On failure nothing is left behind.
Result<ProcId> start_sandbox(const std::string& netns_name);
// True when the pause process lives and is in the named netns (a kubelet restart adopts it).
bool sandbox_intact(const std::string& netns_name, const ProcId& pause);
// Kills the pause process and removes the name; idempotent.
void remove_sandbox(const std::string& netns_name, const ProcId& pause);

// Starts the container: a process in the netns serving `body` to every HTTP request on `port`
// (all addresses). The listening socket exists when this returns, so the pod is ready at once.
// stdout/stderr go to `log_path`.
Result<ProcId> start_http_container(const std::string& netns_path, uint16_t port,
                                    const std::string& body, const std::string& log_path);

}  // namespace podnet::lab::wl
