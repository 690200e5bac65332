#pragma once
// How podnetctl's command callbacks end: errors go to stderr as one line, and CLI11's
// RuntimeError carries the exit code to main (CLI::App::exit returns it without printing).
// Exit codes as kubectl's: 1 for a failure at run time, 2 for bad arguments.
#include <functional>
#include <iostream>

#include <CLI/CLI.hpp>

#include "podnet/common/error.hpp"

namespace podnet::ctl {

inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

inline void run_command(const std::function<Result<>()>& f) {
  if (auto r = f(); !r) {
    std::cerr << "error: " << r.error().message << "\n";
    throw CLI::RuntimeError(exit_failure);
  }
}

// A command that decides its own exit status (0: success); printed errors exit 1.
inline void run_command_rc(const std::function<Result<int>()>& f) {
  auto r = f();
  if (!r) {
    std::cerr << "error: " << r.error().message << "\n";
    throw CLI::RuntimeError(exit_failure);
  }
  if (*r != 0) throw CLI::RuntimeError(*r);
}

// The value of a check of the command line, or exit 2 with its one-line error.
template <typename T>
T usage_or(Result<T> r) {
  if (!r) {
    std::cerr << "error: " << r.error().message << "\n";
    throw CLI::RuntimeError(exit_usage);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace podnet::ctl
