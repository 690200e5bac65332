#include "podnet/cni/env.hpp"

#include <fmt/format.h>

#include <cctype>

#include "podnet/common/text.hpp"

namespace podnet::cni {

std::optional<Command> parse_command(std::string_view s) {
  if (s == "ADD") return Command::add;
  if (s == "DEL") return Command::del;
  if (s == "CHECK") return Command::check;
  if (s == "STATUS") return Command::status;
  if (s == "GC") return Command::gc;
  if (s == "VERSION") return Command::version;
  return std::nullopt;
}

std::string_view command_name(Command c) {
  switch (c) {
    case Command::add: return "ADD";
    case Command::del: return "DEL";
    case Command::check: return "CHECK";
    case Command::status: return "STATUS";
    case Command::gc: return "GC";
    case Command::version: return "VERSION";
  }
  return "?";
}

std::optional<std::string> Env::arg(std::string_view key) const {
  for (const auto& [k, v] : args)
    if (k == key) return v;
  return std::nullopt;
}

bool valid_container_id(std::string_view id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  }
  return true;
}

std::optional<std::string> interface_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 15) return fmt::format("is longer than 15 characters ({})", name.size());
  if (name == "." || name == "..") return "may not be '.' or '..'";
  // Names end up in logs, file names and other tools' output: printable UTF-8 only.
  if (!valid_utf8(name)) return "is not valid UTF-8";
  if (name.find('\0') == std::string_view::npos && has_control_char(name))
    return "contains a control character";
  for (char c : name) {
    // A NUL (possible in JSON: "\u0000") would cut the name short in the kernel.
    if (c == '\0') return "contains a NUL byte";
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
      return fmt::format("contains the invalid character '{}'", c == '\t' ? ' ' : c);
  }
  return std::nullopt;
}

std::expected<std::vector<std::pair<std::string, std::string>>, CniError> parse_cni_args(
    std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw.empty()) {
    auto semi = raw.find(';');
    auto item = raw.substr(0, semi);
    raw = semi == std::string_view::npos ? std::string_view{} : raw.substr(semi + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return std::unexpected(CniError(Code::invalid_env,
                                      fmt::format("CNI_ARGS: invalid element '{}': want KEY=VALUE",
                                                  item)));
    // Keys and values reach logs, records and other plugins: printable UTF-8 only.
    if (!valid_utf8(item) || has_control_char(item))
      return std::unexpected(CniError(
          Code::invalid_env,
          fmt::format("CNI_ARGS: element {} contains control characters or invalid UTF-8",
                      out.size() + 1)));
    out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return out;
}

std::expected<Env, CniError> parse_env(const Getenv& getenv) {
  auto bad = [](std::string m) { return std::unexpected(CniError(Code::invalid_env, std::move(m))); };
  Env env;
  auto cmd = getenv("CNI_COMMAND");
  if (!cmd || cmd->empty()) return bad("CNI_COMMAND is not set");
  auto c = parse_command(*cmd);
  if (!c) return bad(fmt::format("CNI_COMMAND: unknown command '{}'", *cmd));
  env.command = *c;
  if (env.command == Command::version) return env;

  auto get = [&](const char* k) { return getenv(k).value_or(""); };
  env.container_id = get("CNI_CONTAINERID");
  env.netns = get("CNI_NETNS");
  env.ifname = get("CNI_IFNAME");
  env.args_raw = get("CNI_ARGS");
  env.path = get("CNI_PATH");
  for (auto [name, value] : {std::pair{"CNI_NETNS", &env.netns}, std::pair{"CNI_PATH", &env.path}})
    if (has_control_char(*value) || !valid_utf8(*value))
      return bad(fmt::format("{}: contains control characters or invalid UTF-8", name));

  const bool per_container =
      env.command == Command::add || env.command == Command::del || env.command == Command::check;
  if (per_container) {
    if (env.container_id.empty()) return bad("CNI_CONTAINERID is not set");
    if (!valid_container_id(env.container_id))
      return bad(fmt::format("CNI_CONTAINERID: invalid container id '{}'", env.container_id));
    if (env.ifname.empty()) return bad("CNI_IFNAME is not set");
    if (auto p = interface_name_problem(env.ifname))
      return bad(fmt::format("CNI_IFNAME: interface name '{}' {}", env.ifname, *p));
    if (env.command != Command::del && env.netns.empty()) return bad("CNI_NETNS is not set");
  }
  if ((per_container || env.command == Command::gc) && env.path.empty())
    return bad("CNI_PATH is not set");
  auto args = parse_cni_args(env.args_raw);
  if (!args) return std::unexpected(args.error());
  env.args = std::move(*args);
  return env;
}

}  // namespace podnet::cni
