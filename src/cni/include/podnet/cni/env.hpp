#pragma once
// The CNI_* environment of one invocation, validated per command as SPEC.md requires.
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "podnet/cni/error.hpp"

namespace podnet::cni {

enum class Command { add, del, check, status, gc, version };
std::optional<Command> parse_command(std::string_view s);
std::string_view command_name(Command c);

struct Env {
  Command command = Command::version;
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string args_raw;  // CNI_ARGS as given
  std::vector<std::pair<std::string, std::string>> args;
  std::string path;  // CNI_PATH (colon-separated)

  std::optional<std::string> arg(std::string_view key) const;
};

using Getenv = std::function<std::optional<std::string>(const char*)>;

// Reads and validates the environment: required variables per command, container id
// syntax, interface name rules, CNI_ARGS syntax. Errors carry code 4 (invalid env).
std::expected<Env, CniError> parse_env(const Getenv& getenv);

// "K=V;K2=V2" -> pairs; error names the bad element.
std::expected<std::vector<std::pair<std::string, std::string>>, CniError> parse_cni_args(
    std::string_view raw);
bool valid_container_id(std::string_view id);
// Linux interface name rules: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
std::optional<std::string> interface_name_problem(std::string_view name);

}  // namespace podnet::cni
