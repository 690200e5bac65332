#pragma once
// Processes of the lab's pods (pause and container), named by pid plus start time so a pid the
// kernel reused for something else is never mistaken for (or killed as) ours.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "podnet/common/error.hpp"

namespace podnet::lab::wl {

struct ProcId {
  pid_t pid = 0;
  uint64_t start = 0;  // /proc/<pid>/stat field 22 (clock ticks after boot)
  bool operator==(const ProcId&) const = default;
};

// The start time of a live process; nullopt when gone.
std::optional<uint64_t> process_start(pid_t pid);
// True when the process is still the one we started and has not exited (zombies count as
// exited).
bool alive(const ProcId& p);
// SIGTERM, wait up to `grace`, then SIGKILL and wait until it is gone; no-op when already gone.
void terminate(const ProcId& p, std::chrono::milliseconds grace);
// Reaps every exited child without blocking (our pause and container processes; CNI plugin runs
// are reaped by their own waitpid before this runs).
void reap_children();

}  // namespace podnet::lab::wl
