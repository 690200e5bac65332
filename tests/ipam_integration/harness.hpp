#pragma once
// Runs CNI IPAM plugins as a runtime would (env + config on stdin) against a private data
// directory under /tmp, and inspects what they left on disk.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podnet::ipam::it {

std::string podnet_ipam_binary();
inline constexpr const char* kHostLocal = "/usr/lib/cni/host-local";
bool have_host_local();

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal
  int signal = 0;
  std::string out, err;
  nlohmann::json doc;  // parsed stdout (null when empty or not JSON)
  bool ok() const { return exit_code == 0; }
  int code() const { return doc.is_object() && doc.contains("code") ? doc["code"].get<int>() : 0; }
  std::string msg() const {
    return doc.is_object() && doc.contains("msg") ? doc["msg"].get<std::string>() : out + err;
  }
  std::vector<std::string> ips() const;  // "address" of every result IP
};

struct Call {
  std::string binary;
  std::string command;  // ADD, DEL, CHECK, STATUS, GC, VERSION
  std::string container_id;
  std::string ifname = "eth0";
  std::string config;
  std::string cni_args;
};

// A started plugin process; finish() waits and collects its output.
class Child {
 public:
  explicit Child(const Call& c);
  Child(Child&&) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();
  pid_t pid() const { return pid_; }
  Outcome finish();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
};

Outcome run(const Call& c);

// A fresh data directory per test, removed in TearDown whatever the outcome.
class IpamTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A network config for `version` whose ipam object holds `ipam_body` (JSON members,
  // without braces) plus dataDir; `extra` adds top-level members.
  std::string conf(const std::string& ipam_body, const std::string& version = "1.1.0",
                   const std::string& extra = "", const std::string& type = "podnet-ipam") const;
  Outcome podnet(const std::string& cmd, const std::string& id, const std::string& config,
                 const std::string& ifname = "eth0", const std::string& args = "");
  Outcome host_local(const std::string& cmd, const std::string& id, const std::string& config,
                     const std::string& ifname = "eth0");

  std::string net_dir() const { return data_dir_ + "/" + network_; }
  // Address files (name -> content) and index files (name -> content) of the network.
  std::map<std::string, std::string> address_files() const;
  std::map<std::string, std::string> index_files() const;
  void write(const std::string& rel, const std::string& content) const;  // under net_dir()
  std::string read(const std::string& rel) const;
  bool exists(const std::string& rel) const;

  std::string data_dir_;
  std::string network_ = "testnet";
};

}  // namespace podnet::ipam::it
