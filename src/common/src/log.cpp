#include "podnet/common/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "podnet/common/files.hpp"
#include "podnet/common/trusted_dir.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::log {
namespace {
Level g_stderr_level = Level::warn;
UniqueFd g_file;
std::string g_prefix = "podnet";

const char* name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_stderr_level(Level l) { g_stderr_level = l; }
void set_prefix(std::string prefix) { g_prefix = std::move(prefix); }
Result<> set_file(const std::string& path) {
  g_file.reset();
  if (path.empty()) return {};
  // Root writes here at a path a config names: never through a link or into a directory
  // others can write (see trusted_dir.hpp).
  auto fd = open_append_file(path);
  if (!fd) return fail(fd.error().context("log file"));
  g_file = std::move(*fd);
  return {};
}

void write(Level l, std::string_view msg) {
  if (l < g_stderr_level && !g_file) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z {} {}: {}\n",
                                 t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                                 t.tm_sec, ts.tv_nsec / 1000, name(l), g_prefix, msg);
  if (l >= g_stderr_level) (void)write_all(STDERR_FILENO, line);
  if (g_file) (void)write_all(g_file.get(), line);
}

}  // namespace podnet::log
