#pragma once
// A private podman installation driving podnet: a "node" network namespace where podman (and
// so the CNI plugins' host side) runs, a CNI_PATH holding podnet and podnet-ipam, a conflist in
// a private network_config_dir, private containers.conf / storage / runroot / tmpdir / runc
// state, and a busybox image imported from a local rootfs. Nothing is done in the root network
// namespace; everything is removed in the destructor, also when a test fails.
//
// Podman 4.3 on this host needs (see podman_env.cpp for why):
//   containers.conf: network_backend="cni", runtime="runc" (crun refuses the hybrid cgroup
//                    setup), cgroup_manager="cgroupfs", events_logger="file", lock_type="file",
//                    default_ulimits nofile/nproc below our hard limits, runc -> a wrapper
//                    adding --root <dir>/runc
//   flags: --root --runroot --storage-driver vfs --tmpdir --events-backend file
//          --cgroup-manager cgroupfs --runtime runc --network-config-dir
//   run under `nsenter --net=/var/run/netns/NODE` (not `ip netns exec`, which remounts /sys
//   and hides the cgroup mounts runc needs).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

// Why podman cannot run here; "" when it can (root, podman, runc, nsenter, busybox present).
std::string podman_unavailable_reason();

class PodmanEnv {
 public:
  // `subnet_octet` picks the network's subnet 10.88.<octet>.0/24.
  explicit PodmanEnv(std::string_view tag, int subnet_octet = 7);
  ~PodmanEnv();
  PodmanEnv(const PodmanEnv&) = delete;
  PodmanEnv& operator=(const PodmanEnv&) = delete;

  ScopedNetns& node() { return *node_; }
  const std::string& network() const { return network_; }  // conflist name
  const std::string& image() const { return image_; }
  std::string subnet_prefix() const;  // "10.88.7." (first three octets and the dot)
  std::string gateway() const;        // "10.88.7.1"
  std::string data_dir() const { return dir_ + "/ipam"; }
  const std::string& dir() const { return dir_; }

  // Runs `podman <global flags> args...` in the node netns with a time limit. Each argument is
  // passed as one word. Stdout and stderr are kept apart. PODNET_PODMAN_TRACE=1 in the
  // environment prints each command line with its duration and exit code.
  ProcResult podman(const std::vector<std::string>& args, int timeout_s = 60);
  // The command line podman(args) runs (for messages and manual reproduction).
  std::string podman_cmdline(const std::vector<std::string>& args) const;

  // `podman exec name args...`.
  ProcResult exec(const std::string& name, const std::vector<std::string>& args,
                  int timeout_s = 30);

  // Records containers' netns (their SandboxKey) so that the destructor can remove them if
  // podman left them behind.
  void track_sandboxes(const std::vector<std::string>& containers);

  // The IPv4 address (no prefix) on eth0 as `ip -4 -o addr show eth0` prints it, "" if none.
  static std::string eth0_ipv4(const std::string& ip_output);

  // IP files podnet-ipam keeps in dataDir/<network> (one per allocated address).
  std::vector<std::string> allocated_ips() const;
  // Links named pn<hex>@... in the node namespace (podnet host veths).
  std::vector<std::string> host_veths();

  // Calls `probe` (100 ms apart) until it returns true or `timeout_ms` of wall time passed.
  template <class F>
  static bool poll_until(F&& probe, int timeout_ms);

 private:
  void write_configs();
  void import_image();
  void cleanup() noexcept;
  static bool sleep_ms(int ms);

  std::string prefix_;
  std::string dir_;
  std::string network_;
  std::string bridge_;
  std::string image_;
  int octet_;
  std::unique_ptr<ScopedNetns> node_;
  std::vector<std::string> sandboxes_;
  // Host directories podman (CNI backend, rootful) writes outside our dirs, and whether each
  // existed before we started: what we created is removed again.
  std::vector<std::pair<std::string, bool>> host_dirs_;
};

template <class F>
bool PodmanEnv::poll_until(F&& probe, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    sleep_ms(100);
  }
}

}  // namespace podnet::testing
