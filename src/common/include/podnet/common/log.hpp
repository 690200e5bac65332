#pragma once
// Diagnostics for the plugins: stdout belongs to the CNI result, so logs go to stderr
// (only at or above the stderr level) and, when configured, to a log file.
#include <string>

#include <fmt/format.h>

#include "podnet/common/error.hpp"

namespace podnet::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_stderr_level(Level l);
// Appends to `path` from now on (empty: no file). Refused (and no file) when the file or its
// directory is not safe for root to write: see open_append_file.
Result<> set_file(const std::string& path);
void set_prefix(std::string prefix);     // e.g. "podnet[ADD abc123]"
void write(Level l, std::string_view msg);

template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) { write(Level::debug, fmt::format(f, std::forward<A>(a)...)); }
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) { write(Level::info, fmt::format(f, std::forward<A>(a)...)); }
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) { write(Level::warn, fmt::format(f, std::forward<A>(a)...)); }
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) { write(Level::error, fmt::format(f, std::forward<A>(a)...)); }

}  // namespace podnet::log
