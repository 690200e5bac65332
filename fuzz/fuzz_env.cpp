// The CNI_* environment and the plugin frame. Input: "KEY=VALUE" lines (the environment);
// after the first empty line, the rest is stdin. Checks parse_env's guarantees, the
// CNI_ARGS parser on the raw bytes, and that dispatch() always answers with exactly one
// printable JSON document (a result, or an error with code and msg) and never throws.
#include <map>
#include <optional>
#include <string>

#include "fuzz_common.hpp"
#include "podnet/cni/env.hpp"
#include "podnet/cni/skel.hpp"
#include "podnet/cni/version.hpp"

using namespace podnet::cni;
using nlohmann::json;

namespace {

void check_args(std::string_view raw) {
  auto a = parse_cni_args(raw);
  if (!a) {
    FUZZ_CHECK(a.error().code == Code::invalid_env);
    return;
  }
  std::string again;
  for (const auto& [k, v] : *a) {
    FUZZ_CHECK(!k.empty(), "empty CNI_ARGS key");
    FUZZ_CHECK(k.find('=') == std::string::npos && k.find(';') == std::string::npos, k);
    FUZZ_CHECK(v.find(';') == std::string::npos, v);
    again += k + "=" + v + ";";
  }
  auto b = parse_cni_args(again);
  FUZZ_CHECK(b && *b == *a, again);
}

void check_env(const std::map<std::string, std::string>& vars, const Getenv& getenv) {
  auto env = parse_env(getenv);
  if (!env) {
    FUZZ_CHECK(env.error().code == Code::invalid_env);
    return;
  }
  auto cmd = parse_command(vars.at("CNI_COMMAND"));
  FUZZ_CHECK(cmd && *cmd == env->command);
  if (env->command == Command::version) return;
  const bool per_container = env->command == Command::add || env->command == Command::del ||
                             env->command == Command::check;
  if (per_container) {
    FUZZ_CHECK(valid_container_id(env->container_id), env->container_id);
    FUZZ_CHECK(!interface_name_problem(env->ifname), env->ifname);
    if (env->command != Command::del) FUZZ_CHECK(!env->netns.empty());
  }
  if (per_container || env->command == Command::gc) FUZZ_CHECK(!env->path.empty());
  auto args = parse_cni_args(env->args_raw);
  FUZZ_CHECK(args && *args == env->args);
}

// A plugin that answers like podnet does: a result naming the interface it was asked for.
PluginFuncs plugin() {
  PluginFuncs f;
  f.add = [](const CmdArgs& a) -> CmdResult {
    json j = {{"cniVersion", a.cni_version},
              {"interfaces", json::array({{{"name", a.env.ifname}, {"sandbox", a.env.netns}}})},
              {"ips", json::array({{{"address", "10.22.0.5/16"}, {"interface", 0}}})}};
    for (const auto& [k, v] : a.env.args) j["args"][k] = v;
    return j;
  };
  f.del = [](const CmdArgs&) -> CmdResult { return json(); };
  f.check = [](const CmdArgs& a) -> CmdResult {
    return std::unexpected(CniError(Code::check_drift, "interface " + a.env.ifname + " is gone",
                                    "container " + a.env.container_id));
  };
  f.status = [](const CmdArgs&) -> CmdResult { return json(); };
  return f;  // gc: not implemented
}

void check_dispatch(const Getenv& getenv, std::string_view stdin_data) {
  Outcome o;
  try {
    o = dispatch(plugin(), getenv, stdin_data);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("dispatch threw: ") + e.what());
  }
  FUZZ_CHECK(o.exit_code == 0 || o.exit_code == 1);
  if (o.stdout_text.empty()) {
    FUZZ_CHECK(o.exit_code == 0, "an error without output");
    return;
  }
  FUZZ_CHECK(o.stdout_text.back() == '\n' &&
                 o.stdout_text.find('\n') == o.stdout_text.size() - 1,
             "output is not one line");
  json doc = json::parse(o.stdout_text, nullptr, false);
  FUZZ_CHECK(!doc.is_discarded() && doc.is_object(), o.stdout_text);
  auto v = doc.find("cniVersion");
  FUZZ_CHECK(v != doc.end() && v->is_string() && is_supported(v->get<std::string>()),
             o.stdout_text);
  if (o.exit_code == 1) {
    FUZZ_CHECK(doc.contains("code") && doc["code"].is_number_integer(), o.stdout_text);
    FUZZ_CHECK(doc.contains("msg") && doc["msg"].is_string(), o.stdout_text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = podnet_fuzz::as_text(data, size);
  check_args(in);

  std::map<std::string, std::string> vars;
  std::string_view rest = in, stdin_data;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty()) {
      stdin_data = rest;
      break;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    // A process environment holds C strings: a value ends at its first NUL.
    auto value = line.substr(eq + 1);
    value = value.substr(0, value.find('\0'));
    vars.emplace(std::string(line.substr(0, eq)), std::string(value));
  }
  Getenv getenv = [&vars](const char* k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  check_env(vars, getenv);
  check_dispatch(getenv, stdin_data);
  return 0;
}
