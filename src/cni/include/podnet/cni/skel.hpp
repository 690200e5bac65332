#pragma once
// The frame every podnet plugin main runs in: reads CNI_* and stdin, validates them as the
// spec requires, dispatches to the plugin's command functions and prints exactly one JSON
// document on stdout (the result or the error). Diagnostics never go to stdout.
#include <expected>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/cni/env.hpp"
#include "podnet/cni/error.hpp"

namespace podnet::cni {

struct CmdArgs {
  Env env;
  std::string stdin_data;
  std::string cni_version;  // the config's cniVersion (already checked as supported)
};

// A command's answer: a JSON document to print, or null for no output (DEL, GC).
using CmdResult = std::expected<nlohmann::json, CniError>;
using CmdFunc = std::function<CmdResult(const CmdArgs&)>;

struct PluginFuncs {
  CmdFunc add, del, check, status, gc;  // an empty function: the command is not implemented
};

struct Outcome {
  int exit_code = 0;
  std::string stdout_text;
};

// Testable core: everything but the process I/O.
Outcome dispatch(const PluginFuncs& funcs, const Getenv& getenv, std::string_view stdin_data);

// Reads the process environment and stdin, writes stdout, returns the exit code.
int run_plugin(const PluginFuncs& funcs, std::string_view about);

}  // namespace podnet::cni
