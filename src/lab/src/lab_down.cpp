// lab down: kill, then remove namespaces, then files. Works from whatever is left: lab.json
// when it is there, and in any case the namespaces named like the lab's.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "lab_internal.hpp"
#include "podnet/lab/lab.hpp"
#include "podnet/lab/lab_lock.hpp"
#include "podnet/lab/named_netns.hpp"
#include "podnet/lab/processes.hpp"
#include "podnet/lab/state_file.hpp"

namespace podnet::lab {
namespace detail {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lab_netns_names(std::string_view lab) {
  std::vector<std::string> out;
  for (auto& n : list_named_netns())
    if (is_lab_netns(lab, n)) out.push_back(std::move(n));
  return out;
}

// SIGKILL: nothing of a lab needs a graceful stop (its namespaces and files go next), and the
// kubelet must not get a chance to start pods again. Repeats until nothing is left, since a
// process may fork (a kubelet running a plugin) while we kill.
Result<int> kill_all(const std::optional<LabState>& state, const std::vector<std::string>& netns) {
  std::set<NsId> ids;
  for (const auto& n : netns)
    if (auto id = netns_id(netns_path(n))) ids.insert(*id);
  std::set<int> killed;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (true) {
    std::set<int> victims;
    if (state)
      for (const auto& p : state->processes)
        if (process_alive(p)) victims.insert(p.pid);
    for (int pid : processes_in(ids)) victims.insert(pid);
    if (victims.empty()) return static_cast<int>(killed.size());
    if (std::chrono::steady_clock::now() > deadline)
      return fail(fmt::format("processes still alive after SIGKILL: pid {}", *victims.begin()));
    for (int pid : victims)
      if (::kill(pid, SIGKILL) == 0) killed.insert(pid);
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

Result<bool> down_locked(std::string_view lab, std::ostream& out) {
  auto loaded = load_state(lab);
  std::optional<LabState> state;
  if (loaded)
    state = std::move(*loaded);
  else
    out << "warning: " << loaded.error().message << " (cleaning up by names)\n";
  const auto netns = lab_netns_names(lab);
  const LabPaths paths = lab_paths(lab);
  std::error_code ec;
  const bool have_dir = std::filesystem::exists(paths.root, ec);
  if (!state && netns.empty() && !have_dir) return false;

  out << "stopping processes... " << std::flush;
  auto killed = kill_all(state, netns);
  if (!killed) {
    out << "FAILED\n";
    return fail(killed.error());
  }
  out << "ok (" << *killed << " killed)\n";

  out << "removing " << netns.size() << " namespaces... " << std::flush;
  for (const auto& n : netns) {
    if (auto r = delete_named_netns(n); !r) {
      out << "FAILED\n";
      return fail(r.error());
    }
  }
  out << "ok\n";

  out << "removing " << paths.root << "... " << std::flush;
  std::filesystem::remove_all(paths.root, ec);
  if (ec) {
    out << "FAILED\n";
    return fail(Error::from_errno(ec.value(), "remove " + paths.root));
  }
  // The base directory goes too once no lab uses it (ENOTEMPTY otherwise: fine).
  ::rmdir(std::string(default_base_dir).c_str());
  out << "ok\n";
  return true;
}

}  // namespace detail

Result<> lab_down(std::string_view lab, std::ostream& out) {
  PODNET_TRY_VOID(validate_lab_name(lab));
  auto lock = PODNET_TRY(LabLock::acquire());
  auto found = PODNET_TRY(detail::down_locked(lab, out));
  if (!found) {
    ::rmdir(std::string(default_base_dir).c_str());  // made by the lock; keep nothing behind
    return fail(fmt::format("no lab \"{}\" is up (nothing to remove)", lab));
  }
  return {};
}

}  // namespace podnet::lab
