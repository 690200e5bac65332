#include "wl_cni.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "podnet/common/json_bounded.hpp"
#include "podnet/cni/exec.hpp"
#include "podnet/common/files.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::lab::wl {
namespace {

using nlohmann::json;

Result<json> load_conflist(const std::string& path) {
  auto text = PODNET_TRY(read_file_bounded(path, json_default_max_bytes));
  auto j = PODNET_TRY(parse_json_bounded(text, json_default_max_depth, json_default_max_bytes,
                                         fmt::format("conflist {}", path)));
  if (!j.is_object()) return fail(fmt::format("conflist {}: not a JSON object", path));
  if (!j.contains("plugins") || !j["plugins"].is_array() || j["plugins"].empty())
    return fail(fmt::format("conflist {}: plugins: missing (want a non-empty array)", path));
  for (const char* k : {"name", "cniVersion"})
    if (!j.contains(k) || !j[k].is_string())
      return fail(fmt::format("conflist {}: {}: missing", path, k));
  return j;
}

// One plugin run: the plugin's config with the list's name and version injected.
Result<json> run_plugin(const CniCall& call, const std::string& command, const json& list,
                        json conf, const json& prev) {
  conf["name"] = list["name"];
  conf["cniVersion"] = list["cniVersion"];
  if (!prev.is_null()) conf["prevResult"] = prev;
  const std::string type = conf.value("type", "");
  auto plugin = cni::find_plugin(type, call.cni_path);
  if (!plugin) return fail(fmt::format("CNI {}: {}", command, plugin.error().msg));

  std::vector<std::string> env = {
      "CNI_COMMAND=" + command,
      "CNI_CONTAINERID=" + call.container_id,
      "CNI_NETNS=" + call.netns,
      "CNI_IFNAME=" + call.ifname,
      "CNI_PATH=" + call.cni_path,
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail_errno("pipe for CNI plugin");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return fail_errno("pipe for CNI plugin");
  UniqueFd out_r(out[0]), out_w(out[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), STDOUT_FILENO);
  std::string argv0 = *plugin;
  char* argv[] = {argv0.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, plugin->c_str(), &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail_errno(fmt::format("CNI {}: spawn {}", command, *plugin), rc);
  in_r.reset();
  out_w.reset();
  // RunningPlugin reaps the child and decodes its result or CNI error.
  cni::RunningPlugin running(*plugin, pid, out_r.release());
  (void)write_all(in_w.get(), conf.dump());  // a plugin that exits early explains itself
  in_w.reset();
  auto r = running.wait();
  if (!r)
    return fail(fmt::format("CNI {} {} for {}: code {}: {}{}", command, type, call.container_id,
                            int(r.error().code), r.error().msg,
                            r.error().details.empty() ? "" : " (" + r.error().details + ")"));
  return *r;
}

}  // namespace

Result<json> cni_add(const CniCall& call) {
  auto list = PODNET_TRY(load_conflist(call.conflist));
  json prev;
  for (const auto& p : list["plugins"]) prev = PODNET_TRY(run_plugin(call, "ADD", list, p, prev));
  return prev;
}

Result<> cni_del(const CniCall& call, const json& prev_result) {
  auto list = PODNET_TRY(load_conflist(call.conflist));
  const auto& plugins = list["plugins"];
  Result<> first_error;
  for (size_t i = plugins.size(); i-- > 0;) {
    auto r = run_plugin(call, "DEL", list, plugins[i], prev_result);
    if (!r && first_error) first_error = fail(r.error());  // keep going: release what we can
  }
  return first_error;
}

}  // namespace podnet::lab::wl
