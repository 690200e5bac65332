#pragma once
// A test "node": a network namespace where the plugins run as a runtime would run them, pod
// namespaces, a CNI_PATH holding podnet, podnet-ipam and the reference plugins, and an IPAM
// data dir. Everything is removed in the destructor, also when a test fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

class PluginEnv {
 public:
  explicit PluginEnv(std::string_view tag);
  ~PluginEnv();

  const std::string& prefix() const { return prefix_; }
  ScopedNetns& node() { return *node_; }
  std::string data_dir() const { return dir_ + "/ipam"; }
  std::string cni_path() const { return dir_ + "/bin"; }
  std::string dir() const { return dir_; }

  // A pod namespace named <prefix>pN.
  ScopedNetns& add_pod(const std::string& name);

  // Runs plugin `type` (a binary in cni_path) for `command` in the node namespace.
  ProcResult run(const std::string& type, const std::string& command, const std::string& cid,
                 const std::string& netns, const nlohmann::json& conf,
                 const std::string& ifname = "eth0",
                 const std::map<std::string, std::string>& extra_env = {});

  // A config for podnet with the given IPAM type and subnet; `over` merged on top (with
  // "mode": "ptp" and no "bridge" in it, the bridge key is left out).
  nlohmann::json podnet_conf(const std::string& version = "1.1.0",
                             const std::string& ipam = "podnet-ipam",
                             const std::string& subnet = "10.77.0.0/24",
                             const nlohmann::json& over = nlohmann::json::object()) const;

  // Files in the IPAM data dir for network `net` that name an IP (host-local layout).
  std::vector<std::string> allocated_ips(const std::string& net = "podnet-test") const;
  // Links in the node namespace whose name starts with pn (podnet host veths).
  std::vector<std::string> host_veths();

 private:
  std::string prefix_;
  std::string dir_;
  std::unique_ptr<ScopedNetns> node_;
  std::vector<std::unique_ptr<ScopedNetns>> pods_;
};

}  // namespace podnet::testing
