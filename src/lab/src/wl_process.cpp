#include "wl_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include <fmt/format.h>

#include "podnet/common/files.hpp"

namespace podnet::lab::wl {
namespace {

struct Stat {
  char state = '?';
  uint64_t start = 0;
};

std::optional<Stat> read_stat(pid_t pid) {
  auto text = read_file(fmt::format("/proc/{}/stat", pid));
  if (!text) return std::nullopt;
  // "pid (comm) state ..." where comm may hold spaces and parentheses: parse after the last ')'.
  auto close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size()) return std::nullopt;
  Stat st;
  st.state = (*text)[close + 2];
  // field 3 is the state; the start time is field 22.
  size_t pos = close + 2;
  for (int field = 3; field < 22; ++field) {
    pos = text->find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
  }
  st.start = std::strtoull(text->c_str() + pos, nullptr, 10);
  return st;
}

}  // namespace

std::optional<uint64_t> process_start(pid_t pid) {
  auto st = read_stat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  return st->start;
}

bool alive(const ProcId& p) {
  if (p.pid <= 0) return false;
  auto s = process_start(p.pid);
  return s && *s == p.start;
}

void terminate(const ProcId& p, std::chrono::milliseconds grace) {
  if (!alive(p)) return;
  ::kill(p.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    reap_children();
    if (!alive(p)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(p.pid, SIGKILL);
  for (int i = 0; i < 500 && alive(p); ++i) {
    reap_children();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void reap_children() {
  int status = 0;
  while (::waitpid(-1, &status, WNOHANG) > 0) {
  }
}

}  // namespace podnet::lab::wl
