#pragma once
// How podnetctl's command callbacks end: errors go to stderr as one line, and CLI11's
// RuntimeError carries the exit code to main (CLI::App::exit returns it without printing).
#include <functional>
#include <iostream>

#include <CLI/CLI.hpp>

#include "podnet/common/error.hpp"

namespace podnet::ctl {

inline void run_command(const std::function<Result<>()>& f) {
  if (auto r = f(); !r) {
    std::cerr << "error: " << r.error().message << "\n";
    throw CLI::RuntimeError(1);
  }
}

}  // namespace podnet::ctl
