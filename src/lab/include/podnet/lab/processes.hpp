#pragma once
// The lab's processes: starting a daemon inside a named netns, telling whether one still runs,
// and finding every process that lives in a set of namespaces (for `lab down`).
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/lab/state.hpp"

namespace podnet::lab {

struct LaunchSpec {
  std::string role;               // podnetd, kubelet, controller, etcd
  std::string node;               // empty for lab-wide processes
  std::string netns;              // named netns to run in
  std::vector<std::string> argv;  // argv[0] is the executable path (or a name found in PATH)
  std::string log;                // stdout and stderr are appended here
};

// fork, fork again (the daemon is not our child: it outlives us and is reaped by init), setns
// into the netns, setsid, stdin /dev/null, stdout/stderr to the log, exec. Returns the daemon's
// record once the exec succeeded; an exec failure is reported here, not in the log only.
Result<ProcessRecord> launch(const LaunchSpec& spec);

// /proc/PID/stat field 22; nullopt when the process is gone or a zombie.
std::optional<uint64_t> process_start_time(int pid);
// Still the same live process (pid not reused).
bool process_alive(const ProcessRecord& p);

// Namespace identity: (st_dev, st_ino) of an nsfs file.
using NsId = std::pair<dev_t, ino_t>;
std::optional<NsId> netns_id(const std::string& path);
// Processes (by their main thread) whose netns is one of `ids`; never the caller itself.
std::vector<int> processes_in(const std::set<NsId>& ids);

// The last `lines` lines of a file ("" when unreadable).
std::string tail_file(const std::string& path, int lines);

}  // namespace podnet::lab
