#pragma once
// Test support for root tests: named network namespaces that are always removed, commands
// run inside them, and plugin invocations as a runtime does them.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podnet::testing {

// True when the process can make namespaces; tests GTEST_SKIP() otherwise.
bool have_root();

// A unique prefix for this test run's objects, e.g. "pnt1234a-".
std::string unique_prefix(std::string_view tag);

// A named netns (/var/run/netns/NAME) deleted on destruction (and any leftover of the same
// name deleted on creation).
class ScopedNetns {
 public:
  explicit ScopedNetns(std::string name);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }
  // Runs a shell command inside the namespace (via `ip netns exec`); returns exit status.
  int sh(const std::string& cmd, std::string* out = nullptr) const;
  void remove();  // delete now (e.g. to test DEL with the netns gone)

 private:
  std::string name_;
  bool live_ = false;
};

// Runs a shell command in the root namespace (only for reading state or ip netns admin).
int sh(const std::string& cmd, std::string* out = nullptr);

struct ProcResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json json() const;  // stdout parsed (discarded on error)
};

// Runs `binary` with env and stdin, inside netns `netns_path` (empty: current), as a CNI
// runtime would: a vfork-style clone (as Go's os/exec) + setns + exec; nothing else of the
// test moves.
ProcResult run_in_netns(const std::string& netns_path, const std::string& binary,
                        const std::map<std::string, std::string>& env, const std::string& input);

// Starts a process without waiting (for kill -9 tests); returns its pid.
int spawn_in_netns(const std::string& netns_path, const std::string& binary,
                   const std::map<std::string, std::string>& env, const std::string& input);

// Accepts one TCP connection inside the netns on port and returns the peer's address text.
// Starts listening before returning a waiter.
class TcpPeerProbe {
 public:
  TcpPeerProbe(const std::string& netns_path, const std::string& ip, int port);
  ~TcpPeerProbe();
  std::string wait_peer(int timeout_ms = 5000);  // "" on timeout

 private:
  int fd_ = -1;
};

// Path of a built binary.
std::string build_path(const std::string& rel);

// Makes `bin_dir` a CNI_PATH directory: symlinks to this build's podnet and podnet-ipam, and
// to each named reference plugin of /usr/lib/cni. Throws std::runtime_error naming a missing
// binary.
void link_cni_plugins(const std::string& bin_dir, const std::vector<std::string>& reference = {});

}  // namespace podnet::testing
