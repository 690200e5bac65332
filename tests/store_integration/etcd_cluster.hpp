#pragma once
// A real etcd (Debian's etcd-server) for tests: its own network namespace (lo only), members
// listening on 127.0.0.1 ports picked free in that namespace, data under /tmp. Everything is
// killed and removed on destruction, also when the test failed.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::store::testing {

// Moves the calling thread into a network namespace until destruction. Threads it starts
// meanwhile (watch threads) are born there and stay there.
class InNetns {
 public:
  explicit InNetns(const std::string& netns_path);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int home_ = -1;
};

// Why etcd tests cannot run here ("" when they can).
std::string etcd_unavailable();

class EtcdCluster {
 public:
  struct Options {
    int members = 1;
    bool tls = false;  // client URLs over https with client certificates required
  };
  explicit EtcdCluster(Options opts);  // throws std::runtime_error when setup fails
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts every member and waits until the cluster serves requests.
  Result<> start_all(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void start(int member);  // (re)starts with the member's existing data
  void kill(int member);   // SIGKILL, reaped
  Result<> wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // The member that is raft leader now, -1 if none answers (plain-HTTP clusters).
  int leader() const;
  // Runs a shell command inside the cluster's namespace.
  int sh(const std::string& cmd, std::string* out = nullptr) const { return ns_->sh(cmd, out); }

  // etcd://... for the given members (default all), with TLS options when the cluster uses TLS,
  // plus `query` options ("timeout_ms=500").
  std::string url(std::vector<int> members = {}, const std::string& query = "") const;
  std::string endpoint(int member) const;
  int port_nobody_listens_on() const { return spare_port_; }
  const std::string& netns_path() const { return netns_path_; }
  const std::string& dir() const { return dir_; }
  std::string log_tail(int member) const;
  // TLS material (tls clusters): CA, a good client pair, a client pair from another CA.
  std::string file(const std::string& name) const { return dir_ + "/pki/" + name; }

 private:
  void make_pki();

  Options opts_;
  std::string prefix_;
  std::string dir_;
  std::unique_ptr<podnet::testing::ScopedNetns> ns_;
  std::string netns_path_;
  std::vector<int> client_ports_, peer_ports_;
  int spare_port_ = 0;
  std::vector<pid_t> pids_;
};

}  // namespace podnet::store::testing
