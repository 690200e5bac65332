#include "plugin_env.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <regex>

namespace podnet::testing {

namespace fs = std::filesystem;

PluginEnv::PluginEnv(std::string_view tag) {
  prefix_ = unique_prefix(tag);
  dir_ = "/tmp/" + prefix_ + "dir";
  fs::remove_all(dir_);
  // The destructor does not run when the constructor throws (`ip netns add` failing, a
  // binary missing): remove the directory here then.
  try {
    fs::create_directories(dir_ + "/ipam");
    link_cni_plugins(dir_ + "/bin", {"host-local", "bridge", "ptp", "loopback"});
    node_ = std::make_unique<ScopedNetns>(prefix_ + "node");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

PluginEnv::~PluginEnv() {
  pods_.clear();
  node_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

ScopedNetns& PluginEnv::add_pod(const std::string& name) {
  pods_.push_back(std::make_unique<ScopedNetns>(prefix_ + name));
  return *pods_.back();
}

ProcResult PluginEnv::run(const std::string& type, const std::string& command,
                          const std::string& cid, const std::string& netns,
                          const nlohmann::json& conf, const std::string& ifname,
                          const std::map<std::string, std::string>& extra_env) {
  std::map<std::string, std::string> env = {{"CNI_COMMAND", command},
                                            {"CNI_CONTAINERID", cid},
                                            {"CNI_NETNS", netns},
                                            {"CNI_IFNAME", ifname},
                                            {"CNI_PATH", cni_path()}};
  for (const auto& [k, v] : extra_env) env[k] = v;
  return run_in_netns(node_->path(), cni_path() + "/" + type, env, conf.dump());
}

nlohmann::json PluginEnv::podnet_conf(const std::string& version, const std::string& ipam,
                                      const std::string& subnet, const nlohmann::json& over) const {
  nlohmann::json c = {
      {"cniVersion", version},
      {"name", "podnet-test"},
      {"type", "podnet"},
      {"bridge", "pnbr0"},
      {"ipam", {{"type", ipam}, {"dataDir", data_dir()}, {"ranges", {{{{"subnet", subnet}}}}}}}};
  c.merge_patch(over);
  // ptp has no bridge (the plugin refuses the key there) unless `over` names one on purpose.
  if (c.value("mode", "") == "ptp" && !over.contains("bridge")) c.erase("bridge");
  return c;
}

std::vector<std::string> PluginEnv::allocated_ips(const std::string& net) const {
  std::vector<std::string> out;
  std::error_code ec;
  static const std::regex ip_re(R"(^[0-9a-f.:]+$)");
  for (const auto& e : fs::directory_iterator(data_dir() + "/" + net, ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file() && std::regex_match(name, ip_re) && name.find('.') != std::string::npos)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> PluginEnv::host_veths() {
  std::string out;
  node_->sh("ip -o link show", &out);
  std::vector<std::string> names;
  std::regex re(R"(^\d+: (pn[0-9a-f]+)@)");
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) names.push_back(m[1]);
  }
  return names;
}

}  // namespace podnet::testing
