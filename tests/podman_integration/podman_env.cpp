#include "podman_env.hpp"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace podnet::testing {

namespace fs = std::filesystem;

namespace {

// Applets the image's busybox answers to (symlinks in /bin).
constexpr const char* kApplets[] = {"sh",       "ip",    "ping", "nc", "wget",   "httpd",
                                    "cat",      "sleep", "echo", "ls", "true",   "hostname",
                                    "readlink", "grep",  "sed",  "ps", "timeout"};
constexpr const char* kIndex = "hello from a podnet pod\n";

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f.flush()) throw std::runtime_error("cannot write " + path);
}

bool on_path(const std::string& tool) {
  return sh("PATH=\"$PATH:/usr/sbin:/sbin\"; command -v " + tool + " >/dev/null") == 0;
}

// True for a dynamically linked ELF executable (one with a PT_INTERP program header).
bool has_interpreter(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof eh) || eh.e_ident[EI_CLASS] != ELFCLASS64)
    return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * eh.e_phentsize));
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
    if (ph.p_type == PT_INTERP) return true;
  }
  return false;
}

}  // namespace

std::string podman_unavailable_reason() {
  if (!have_root()) return "needs root: runs rootful podman and creates network namespaces";
  for (const char* tool : {"podman", "runc", "conmon", "nsenter", "timeout", "tar"})
    if (!on_path(tool)) return fmt::format("{} is not installed", tool);
  if (!fs::exists("/bin/busybox"))
    return "/bin/busybox missing (install Debian's busybox-static): the test image is built from "
           "it";
  // A dynamic busybox would need its libraries in the image.
  if (has_interpreter("/bin/busybox"))
    return "/bin/busybox is dynamically linked: install busybox-static";
  return "";
}

PodmanEnv::PodmanEnv(std::string_view tag, int subnet_octet) : octet_(subnet_octet) {
  prefix_ = unique_prefix(tag);                     // "pnt<tag><4 hex>-"
  auto id = prefix_.substr(0, prefix_.size() - 1);  // without the dash
  auto hex = id.substr(id.size() - 4);
  dir_ = "/tmp/" + prefix_ + "podman";
  network_ = "podnet-podman-" + hex;
  bridge_ = "pmbr" + hex;  // not "pn…": host_veths() must only see veths
  image_ = "localhost/podnet-busybox:test";
  // libcni's result cache (no podman knob for it in 4.3) and c/image's blob-info cache written
  // by `podman import` (not configurable from the podman CLI); /run/runc, runc's default state
  // root, in case something calls runc past our wrapper.
  for (const char* d : {"/var/lib/cni", "/run/runc", "/var/lib/containers"})
    host_dirs_.emplace_back(d, fs::exists(d));
  try {
    fs::remove_all(dir_);
    for (const char* sub :
         {"bin", "ipam", "net", "root", "runroot", "tmp", "runc", "runtime", "home"})
      fs::create_directories(dir_ + "/" + sub);
    link_cni_plugins(dir_ + "/bin");
    node_ = std::make_unique<ScopedNetns>(prefix_ + "node");
    write_configs();
    import_image();
  } catch (...) {
    cleanup();
    throw;
  }
}

PodmanEnv::~PodmanEnv() {
  cleanup();
}

std::string PodmanEnv::subnet_prefix() const {
  return fmt::format("10.88.{}.", octet_);
}
std::string PodmanEnv::gateway() const {
  return subnet_prefix() + "1";
}

void PodmanEnv::write_configs() {
  // runc keeps container state in /run/runc unless told otherwise. `--runtime-flag root=` on our
  // podman command lines is not handed on to the `podman container cleanup` that conmon runs
  // when a container exits, so that one would look in /run/runc; a wrapper named runc, set as
  // the runc runtime in containers.conf, puts every runc call's state in our dir.
  std::string runc;
  if (sh("PATH=\"$PATH:/usr/sbin:/sbin\"; command -v runc", &runc) != 0)
    throw std::runtime_error("no runc");
  runc.erase(runc.find_last_not_of('\n') + 1);
  auto wrapper = dir_ + "/runtime/runc";
  write_file(wrapper, fmt::format("#!/bin/sh\nexec {} --root {}/runc \"$@\"\n", runc, dir_));
  fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);

  // Only this file is read when CONTAINERS_CONF is set. default_ulimits: podman's defaults
  // (nofile 1048576) exceed this host's hard limits and runc then fails with "error setting
  // rlimit type 7"; --ulimit on `podman run` does not reach a pod's infra container, this does.
  // lock_type "file" keeps libpod's locks in our tmpdir instead of the shared /dev/shm/libpod_lock.
  write_file(dir_ + "/containers.conf", fmt::format(R"([containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[network]
network_backend = "cni"
cni_plugin_dirs = ["{0}/bin"]
network_config_dir = "{0}/net"
default_network = "{1}"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
image_copy_tmp_dir = "{0}/tmp"

[engine.runtimes]
runc = ["{0}/runtime/runc"]
)",
                                                    dir_, network_));
  write_file(dir_ + "/storage.conf", fmt::format(R"([storage]
driver = "vfs"
graphroot = "{0}/root"
runroot = "{0}/runroot"
)",
                                                 dir_));
  nlohmann::json conflist = {{"cniVersion", "1.0.0"},
                             {"name", network_},
                             {"plugins",
                              {{{"type", "podnet"},
                                {"bridge", bridge_},
                                {"ipMasq", true},
                                {"ipam",
                                 {{"type", "podnet-ipam"},
                                  {"dataDir", data_dir()},
                                  {"ranges", {{{{"subnet", subnet_prefix() + "0/24"}}}}}}}}}}};
  write_file(dir_ + "/net/" + network_ + ".conflist", conflist.dump(2) + "\n");
}

void PodmanEnv::import_image() {
  auto rootfs = dir_ + "/rootfs";
  for (const char* sub : {"bin", "www", "etc", "proc", "sys", "dev", "tmp"})
    fs::create_directories(rootfs + "/" + sub);
  fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
  for (const char* applet : kApplets) fs::create_symlink("busybox", rootfs + "/bin/" + applet);
  write_file(rootfs + "/www/index.html", kIndex);
  std::string out;
  if (sh(fmt::format("tar -C {} -cf {}/rootfs.tar .", quote(rootfs), quote(dir_)), &out) != 0)
    throw std::runtime_error("tar: " + out);
  auto r = podman({"import", dir_ + "/rootfs.tar", image_});
  if (r.exit_code != 0)
    throw std::runtime_error(
        fmt::format("podman import failed ({}): {}{}", r.exit_code, r.out, r.err));
}

std::string PodmanEnv::podman_cmdline(const std::vector<std::string>& args) const {
  std::string cmd = fmt::format(
      "nsenter --net={} podman --root {}/root --runroot {}/runroot --storage-driver vfs "
      "--tmpdir {}/tmp --events-backend file --cgroup-manager cgroupfs --runtime runc "
      "--network-config-dir {}/net",
      node_ ? node_->path() : std::string("?"), dir_, dir_, dir_, dir_);
  for (const auto& a : args) cmd += " " + quote(a);
  return cmd;
}

ProcResult PodmanEnv::podman(const std::vector<std::string>& args, int timeout_s) {
  // timeout bounds a hung podman; -k kills it if it ignores SIGTERM. stdin is /dev/null so
  // nothing waits on the script pipe.
  auto script =
      fmt::format("exec timeout -k 5 {} {} </dev/null\n", timeout_s, podman_cmdline(args));
  std::map<std::string, std::string> env = {
      {"CONTAINERS_CONF", dir_ + "/containers.conf"},
      {"CONTAINERS_STORAGE_CONF", dir_ + "/storage.conf"},
      {"HOME", dir_ + "/home"},
      {"TMPDIR", dir_ + "/tmp"},
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}};
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_in_netns("", "/bin/sh", env, script);
  if (std::getenv("PODNET_PODMAN_TRACE")) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    std::cerr << fmt::format("[podman {} ms, exit {}] {}\n", ms.count(), r.exit_code,
                             podman_cmdline(args));
  }
  return r;
}

ProcResult PodmanEnv::exec(const std::string& name, const std::vector<std::string>& args,
                           int timeout_s) {
  std::vector<std::string> full = {"exec", name};
  full.insert(full.end(), args.begin(), args.end());
  return podman(full, timeout_s);
}

void PodmanEnv::track_sandboxes(const std::vector<std::string>& containers) {
  std::vector<std::string> args = {"inspect", "--format", "{{.NetworkSettings.SandboxKey}}"};
  args.insert(args.end(), containers.begin(), containers.end());
  auto r = podman(args);
  std::istringstream in(r.out);
  std::string key;
  while (std::getline(in, key))
    if (key.starts_with("/")) sandboxes_.push_back(key);
}

std::string PodmanEnv::eth0_ipv4(const std::string& ip_output) {
  static const std::regex re(R"(inet (\d+\.\d+\.\d+\.\d+)/\d+)");
  std::smatch m;
  return std::regex_search(ip_output, m, re) ? m[1].str() : "";
}

std::vector<std::string> PodmanEnv::allocated_ips() const {
  std::vector<std::string> out;
  std::error_code ec;
  static const std::regex ip_re(R"(^\d+\.\d+\.\d+\.\d+$)");
  for (const auto& e : fs::directory_iterator(data_dir() + "/" + network_, ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file() && std::regex_match(name, ip_re)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> PodmanEnv::host_veths() {
  std::string out;
  node_->sh("ip -o link show", &out);
  std::vector<std::string> names;
  static const std::regex re(R"(^\d+: (pn[0-9a-f]+)@)");
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) names.push_back(m[1]);
  }
  return names;
}

bool PodmanEnv::sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return true;
}

void PodmanEnv::cleanup() noexcept {
  try {
    std::error_code ec;
    if (node_ && fs::exists(dir_ + "/containers.conf", ec)) {
      // Pods first (their infra containers), then everything else; -t 0: SIGKILL at once.
      for (auto args : {std::vector<std::string>{"pod", "rm", "-af", "-t", "0"},
                        std::vector<std::string>{"rm", "-af", "-t", "0"}}) {
        auto r = podman(args);
        if (r.exit_code != 0)
          std::cerr << "[podman cleanup] " << podman_cmdline(args) << " -> " << r.exit_code << "\n"
                    << r.out << r.err;
      }
    }
    // Safety nets for what a failed `podman rm` would leave: runc containers, podman's netns
    // bind mounts, the libcni result cache (named after our network), mounts under our dir.
    for (const auto& e : fs::directory_iterator(dir_ + "/runc", ec)) {
      std::cerr << "[podman cleanup] runc delete -f " << e.path().filename() << "\n";
      sh(fmt::format("{} delete -f {} >/dev/null 2>&1", quote(dir_ + "/runtime/runc"),
                     quote(e.path().filename().string())));
    }
    for (const auto& key : sandboxes_) {
      if (!fs::exists(key, ec)) continue;
      std::cerr << "[podman cleanup] removing leftover container netns " << key << "\n";
      sh(fmt::format("umount {0} >/dev/null 2>&1; rm -f {0}", quote(key)));
    }
    for (const auto& e : fs::directory_iterator("/var/lib/cni/results", ec)) {
      if (e.path().filename().string().starts_with(network_ + "-")) {
        std::cerr << "[podman cleanup] removing leftover CNI cache " << e.path() << "\n";
        fs::remove(e.path(), ec);
      }
    }
    {
      std::ifstream mi("/proc/self/mountinfo");
      std::vector<std::string> mounts;
      std::string line;
      while (std::getline(mi, line)) {
        std::istringstream ls(line);
        std::string f[5];
        for (auto& x : f) ls >> x;
        if (f[4].starts_with(dir_ + "/")) mounts.push_back(f[4]);
      }
      std::sort(mounts.rbegin(), mounts.rend());  // children before parents
      for (const auto& m : mounts) sh(fmt::format("umount -l {} >/dev/null 2>&1", quote(m)));
    }
    // Leave the host as found: only what did not exist before and holds nothing but what podman
    // puts there for a run like ours (empty dirs, the blob-info cache).
    for (const auto& [d, existed] : host_dirs_) {
      if (existed || !fs::exists(d, ec)) continue;
      fs::remove(d + "/cache/blob-info-cache-v1.boltdb", ec);
      for (const char* sub : {"/results", "/cache", ""}) fs::remove(d + sub, ec);  // only if empty
      if (fs::exists(d, ec))
        std::cerr << "[podman cleanup] " << d << " is not empty: left in place\n";
    }
    node_.reset();
    fs::remove_all(dir_, ec);
    if (ec) std::cerr << "[podman cleanup] remove " << dir_ << ": " << ec.message() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "[podman cleanup] " << e.what() << "\n";
  }
}

}  // namespace podnet::testing
