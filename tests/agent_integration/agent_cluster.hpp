#pragma once
// A test cluster for podnetd: netns <prefix>sw with bridge br0 (the underlay switch), netns
// <prefix>ext (the outside: 10.1.1.1 on the switch, 203.0.113.1/32 on lo), and node netns
// <prefix>nN with eth0 10.1.1.1N/24 and a default route via 10.1.1.1. Real podnetd processes run
// inside the node netns (fork + setns + exec) against a sqlite store in a temp dir. Everything
// (processes, namespaces, files) is removed in the destructor, also after a failure.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

struct AgentNode {
  std::string name;  // lxb00N
  int n = 0;
  std::string ip;  // 10.1.1.1N
  std::unique_ptr<ScopedNetns> ns;
  std::string dir;  // conf dir root: <dir>/<name>/{net.d,state,ipam}
  int pid = -1;     // running podnetd, -1 none
  std::string log() const { return dir + "/podnetd.log"; }
  std::string conflist() const { return dir + "/net.d/10-podnet.conflist"; }
};

class AgentCluster {
 public:
  AgentCluster(std::string_view tag, int nodes);
  ~AgentCluster();

  const std::string& prefix() const { return prefix_; }
  std::string store_url() const {
    return etcd_ ? "etcd://10.1.1.2:2379?insecure=1"
                 : "sqlite://" + dir_ + "/store.db" + sqlite_query;
  }
  std::string sqlite_query;  // e.g. "?history=5" (set before starting agents)
  // Debian's etcd in the switch netns on 10.1.1.2:2379 (the lab's layout); later agents use it.
  // False when etcd is not installed or did not become healthy.
  bool start_etcd();
  // A store outage: `sig` sent to etcd (SIGSTOP: it hangs; SIGCONT; SIGKILL: it is gone, and
  // reaped). restart_etcd() starts it again on its data (after a SIGKILL); false when it did
  // not become healthy.
  void signal_etcd(int sig);
  bool restart_etcd();
  std::string dir() const { return dir_; }
  AgentNode& node(int i) { return nodes_[i]; }
  ScopedNetns& ext() { return *ext_; }
  ScopedNetns& sw() { return *sw_; }  // the switch: bridge br0, node i's port v<i+1>

  // Standard flags for node i plus `extra`.
  std::vector<std::string> args(int i, const std::vector<std::string>& extra = {}) const;
  // Starts podnetd in node i's netns; its stderr goes to the node's log.
  void start(int i, const std::vector<std::string>& extra = {});
  // Runs podnetd to completion in node i's netns; returns exit code, stderr in *err.
  int run(int i, const std::vector<std::string>& args, std::string* err = nullptr,
          int timeout_ms = 20000);
  void kill_agent(int i, int sig);  // and reap

  // Runs `cmd` in node/pod netns `ns` (no shell quoting games: passed to sh -c via a file-free
  // double-quoted string, so no double quotes inside).
  static int in(const std::string& ns, const std::string& cmd, std::string* out = nullptr);

  // Polls `pred` every 100 ms until true or timeout.
  static bool eventually(const std::function<bool()>& pred, int timeout_ms = 10000);

  nlohmann::json conflist(int i) const;  // parsed; null when missing
  std::string subnet(int i) const;       // from the conflist; "" when missing

  // A pod on node i through the real podnet CNI plugin with the node's conflist; returns its IP.
  std::string add_pod(int i, const std::string& pod);
  std::string pod_ns(const std::string& pod) const { return prefix_ + pod; }

  // Background shell command in netns ns; killed in the destructor.
  int background(const std::string& ns, const std::string& cmd);

 private:
  std::string prefix_, dir_;
  std::unique_ptr<ScopedNetns> sw_, ext_;
  std::vector<AgentNode> nodes_;
  std::vector<std::unique_ptr<ScopedNetns>> pods_;
  std::vector<int> bg_;
  bool spawn_etcd();
  bool etcd_ = false;  // agents use etcd (running or not)
  int etcd_pid_ = -1;
};

}  // namespace podnet::testing
