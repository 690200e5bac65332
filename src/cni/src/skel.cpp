#include "podnet/cni/skel.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "podnet/cni/netconf.hpp"
#include "podnet/cni/version.hpp"
#include "podnet/common/files.hpp"

namespace podnet::cni {

using nlohmann::json;

namespace {

// Messages quote the environment (ids, interface names), which need not be UTF-8: never
// let dump() throw on that; invalid bytes become U+FFFD, as Go's encoding/json does.
std::string dump_text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Outcome error_outcome(const CniError& e, const std::string& version) {
  return Outcome{1, dump_text(e.to_json(version))};
}

json version_document() {
  json versions = json::array();
  for (auto v : supported_versions()) versions.push_back(std::string(v));
  return {{"cniVersion", std::string(kLatestVersion)}, {"supportedVersions", versions}};
}

}  // namespace

Outcome dispatch(const PluginFuncs& funcs, const Getenv& getenv, std::string_view stdin_data) {
  std::string answer_version = sniff_version(stdin_data);
  auto env = parse_env(getenv);
  if (!env) return error_outcome(env.error(), answer_version);
  if (env->command == Command::version) return Outcome{0, version_document().dump() + "\n"};

  // Version gate before the plugin parses anything else.
  auto parsed = parse_stdin_json(stdin_data);
  if (!parsed) return error_outcome(parsed.error(), answer_version);
  const json& doc = *parsed;
  auto v = doc.find("cniVersion");
  if (v == doc.end() || !v->is_string())
    return error_outcome(CniError(Code::invalid_config, "cniVersion: missing"), answer_version);
  std::string version = v->get<std::string>();
  if (!is_supported(version)) {
    std::string list;
    for (auto s : supported_versions()) list += (list.empty() ? "" : ", ") + std::string(s);
    return error_outcome(
        CniError(Code::incompatible_version,
                 fmt::format("cniVersion: unsupported version '{}' (supported: {})", version, list)),
        answer_version);
  }
  const CmdFunc* fn = nullptr;
  switch (env->command) {
    case Command::add: fn = &funcs.add; break;
    case Command::del: fn = &funcs.del; break;
    case Command::check:
      if (!version_at_least(version, "0.4.0"))
        return error_outcome(CniError(Code::incompatible_version,
                                      fmt::format("config version {} does not allow CHECK", version)),
                             version);
      fn = &funcs.check;
      break;
    case Command::status:
    case Command::gc:
      if (!version_at_least(version, "1.1.0"))
        return error_outcome(
            CniError(Code::incompatible_version,
                     fmt::format("config version {} does not allow {}", version,
                                 command_name(env->command))),
            version);
      fn = env->command == Command::status ? &funcs.status : &funcs.gc;
      break;
    case Command::version: break;
  }
  if (!fn || !*fn)
    return error_outcome(CniError(Code::invalid_env, fmt::format("CNI_COMMAND: {} is not supported "
                                                                 "by this plugin",
                                                                 command_name(env->command))),
                         version);
  CmdArgs args{std::move(*env), std::string(stdin_data), version};
  CmdResult r = (*fn)(args);
  if (!r) return error_outcome(r.error(), version);
  if (r->is_null()) return Outcome{0, {}};
  return Outcome{0, dump_text(*r)};
}

int run_plugin(const PluginFuncs& funcs, std::string_view about) {
  auto getenv = [](const char* k) -> std::optional<std::string> {
    const char* v = std::getenv(k);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  // A delegated plugin that exits without reading its stdin must give an error result, not
  // kill this process with SIGPIPE before it prints one (EPIPE is handled where we write).
  ::signal(SIGPIPE, SIG_IGN);
  std::string input;
  auto cmd = getenv("CNI_COMMAND");
  if (!cmd && isatty(STDIN_FILENO)) {
    (void)write_all(STDERR_FILENO, fmt::format("{}\n", about));
    return 1;
  }
  // VERSION may come without stdin; every other command must have a config.
  if (cmd != std::optional<std::string>("VERSION") || !isatty(STDIN_FILENO)) {
    auto in = read_all(STDIN_FILENO, kMaxConfigBytes);
    if (!in) {
      auto out = error_outcome(CniError(Code::io_failure, "reading stdin: " + in.error().message),
                               std::string(kLatestVersion));
      (void)write_all(STDOUT_FILENO, out.stdout_text);
      return out.exit_code;
    }
    input = std::move(*in);
  }
  Outcome o;
  try {
    o = dispatch(funcs, getenv, input);
  } catch (const std::exception& e) {
    o = error_outcome(CniError(Code::internal, fmt::format("internal error: {}", e.what())),
                      sniff_version(input));
  }
  (void)write_all(STDOUT_FILENO, o.stdout_text);
  return o.exit_code;
}

}  // namespace podnet::cni
