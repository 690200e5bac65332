#include "agent_cluster.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace podnet::testing {

namespace fs = std::filesystem;

AgentCluster::AgentCluster(std::string_view tag, int count) {
  prefix_ = unique_prefix(tag);
  dir_ = "/tmp/" + prefix_ + "dir";
  fs::remove_all(dir_);
  fs::create_directories(dir_ + "/bin");
  fs::create_symlink(build_path("apps/podnet/podnet"), dir_ + "/bin/podnet");
  fs::create_symlink(build_path("apps/podnet-ipam/podnet-ipam"), dir_ + "/bin/podnet-ipam");
  sw_ = std::make_unique<ScopedNetns>(prefix_ + "sw");
  std::string out;
  if (sw_->sh("ip link add br0 type bridge && ip link set br0 up", &out) != 0)
    throw std::runtime_error("switch: " + out);
  ext_ = std::make_unique<ScopedNetns>(prefix_ + "ext");
  if (sh(fmt::format("ip -n {0} link add vx type veth peer name eth0 netns {1} && "
                     "ip -n {0} link set vx master br0 up && "
                     "ip -n {1} addr add 10.1.1.1/24 dev eth0 && ip -n {1} link set eth0 up && "
                     "ip -n {1} addr add 203.0.113.1/32 dev lo",
                     sw_->name(), ext_->name()),
         &out) != 0)
    throw std::runtime_error("ext: " + out);
  for (int i = 0; i < count; ++i) {
    AgentNode nd;
    nd.n = i + 1;
    nd.name = fmt::format("lxb{:03}", i + 1);
    nd.ip = fmt::format("10.1.1.{}", 11 + i);
    nd.ns = std::make_unique<ScopedNetns>(fmt::format("{}n{}", prefix_, i + 1));
    nd.dir = fmt::format("{}/{}", dir_, nd.name);
    fs::create_directories(nd.dir);
    if (sh(fmt::format("ip -n {0} link add v{1} type veth peer name eth0 netns {2} && "
                       "ip -n {0} link set v{1} master br0 up && "
                       "ip -n {2} addr add {3}/24 dev eth0 && ip -n {2} link set eth0 up && "
                       "ip -n {2} route add default via 10.1.1.1",
                       sw_->name(), i + 1, nd.ns->name(), nd.ip),
           &out) != 0)
      throw std::runtime_error("node: " + out);
    nodes_.push_back(std::move(nd));
  }
}

AgentCluster::~AgentCluster() {
  for (int pid : bg_) ::kill(-pid, SIGKILL), ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
  for (size_t i = 0; i < nodes_.size(); ++i) kill_agent(int(i), SIGKILL);
  if (etcd_pid_ > 0) ::kill(etcd_pid_, SIGKILL), ::waitpid(etcd_pid_, nullptr, 0);
  pods_.clear();
  nodes_.clear();
  ext_.reset();
  sw_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> AgentCluster::args(int i, const std::vector<std::string>& extra) const {
  const AgentNode& nd = nodes_[i];
  std::vector<std::string> a = {"--node",          nd.name,
                                "--store",         store_url(),
                                "--cni-conf-dir",  nd.dir + "/net.d",
                                "--state-dir",     nd.dir + "/state",
                                "--ipam-data-dir", nd.dir + "/ipam",
                                "--lease-ttl",     "3",
                                "--log-level",     "debug"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

namespace {
// fork + setns + exec; stdout/stderr to `log` (appended) unless err_fd >= 0.
int spawn(const std::string& netns, const std::vector<std::string>& args, const std::string& log,
          int err_fd = -1) {
  std::string bin = build_path("apps/podnetd/podnetd");
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int nsfd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) _exit(126);
  int fd = err_fd >= 0 ? err_fd : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  std::vector<char*> argv;
  argv.push_back(bin.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  _exit(127);
}
}  // namespace

void AgentCluster::start(int i, const std::vector<std::string>& extra) {
  AgentNode& nd = nodes_[i];
  nd.pid = spawn(nd.ns->path(), args(i, extra), nd.log());
}

int AgentCluster::run(int i, const std::vector<std::string>& a, std::string* err, int timeout_ms) {
  AgentNode& nd = nodes_[i];
  std::string path = fmt::format("{}/run-{}.err", dir_, ::getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int pid = spawn(nd.ns->path(), a, "", fd);
  ::close(fd);
  int st = 0;
  bool done = eventually([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, timeout_ms);
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    return -1;
  }
  if (err) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    *err = ss.str();
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void AgentCluster::kill_agent(int i, int sig) {
  AgentNode& nd = nodes_[i];
  if (nd.pid <= 0) return;
  ::kill(nd.pid, sig);
  ::waitpid(nd.pid, nullptr, 0);
  nd.pid = -1;
}

int AgentCluster::in(const std::string& ns, const std::string& cmd, std::string* out) {
  return sh(fmt::format("ip netns exec {} sh -c \"{}\"", ns, cmd), out);
}

bool AgentCluster::eventually(const std::function<bool()>& pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

nlohmann::json AgentCluster::conflist(int i) const {
  std::ifstream f(nodes_[i].conflist());
  if (!f) return nullptr;
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, false);
}

std::string AgentCluster::subnet(int i) const {
  auto c = conflist(i);
  if (c.is_null() || c.is_discarded()) return "";
  return c["plugins"][0]["ipam"]["ranges"][0][0]["subnet"].get<std::string>();
}

std::string AgentCluster::add_pod(int i, const std::string& pod) {
  pods_.push_back(std::make_unique<ScopedNetns>(pod_ns(pod)));
  auto list = conflist(i);
  nlohmann::json conf = list["plugins"][0];
  conf["cniVersion"] = list["cniVersion"];
  conf["name"] = list["name"];
  ProcResult r = run_in_netns(nodes_[i].ns->path(), dir_ + "/bin/podnet",
                              {{"CNI_COMMAND", "ADD"},
                               {"CNI_CONTAINERID", prefix_ + pod},
                               {"CNI_NETNS", pods_.back()->path()},
                               {"CNI_IFNAME", "eth0"},
                               {"CNI_PATH", dir_ + "/bin"}},
                              conf.dump());
  if (r.exit_code != 0) throw std::runtime_error("CNI ADD " + pod + ": " + r.out + r.err);
  std::string addr = r.json()["ips"][0]["address"].get<std::string>();
  return addr.substr(0, addr.find('/'));
}

bool AgentCluster::start_etcd() {
  if (sh("command -v etcd >/dev/null") != 0) return false;
  if (sh(fmt::format("ip -n {} addr add 10.1.1.2/24 dev br0", sw_->name())) != 0) return false;
  etcd_ = true;
  return spawn_etcd();
}

void AgentCluster::signal_etcd(int sig) {
  if (etcd_pid_ <= 0) return;
  ::kill(etcd_pid_, sig);
  if (sig == SIGKILL) ::waitpid(etcd_pid_, nullptr, 0), etcd_pid_ = -1;
}

bool AgentCluster::restart_etcd() {
  if (!etcd_ || etcd_pid_ > 0) return false;
  return spawn_etcd();
}

bool AgentCluster::spawn_etcd() {
  std::string data = dir_ + "/etcd";
  std::string log = dir_ + "/etcd.log";
  std::vector<std::string> args = {"etcd",
                                   "--name",
                                   "m0",
                                   "--data-dir",
                                   data,
                                   "--listen-client-urls",
                                   "http://10.1.1.2:2379",
                                   "--advertise-client-urls",
                                   "http://10.1.1.2:2379",
                                   "--listen-peer-urls",
                                   "http://127.0.0.1:2380",
                                   "--initial-advertise-peer-urls",
                                   "http://127.0.0.1:2380",
                                   "--initial-cluster",
                                   "m0=http://127.0.0.1:2380",
                                   "--heartbeat-interval",
                                   "50",
                                   "--election-timeout",
                                   "250"};
  std::string ns = sw_->path();
  pid_t pid = ::fork();
  if (pid == 0) {
    int nsfd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) _exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("etcd", argv.data());
    _exit(127);
  }
  etcd_pid_ = pid;
  return eventually(
      [&] {
        return in(sw_->name(), "curl -s -m 1 http://10.1.1.2:2379/health | grep -q true") == 0;
      },
      15000);
}

int AgentCluster::background(const std::string& ns, const std::string& cmd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/usr/bin/ip", "ip", "netns", "exec", ns.c_str(), "sh", "-c", cmd.c_str(),
            (char*)nullptr);
    _exit(127);
  }
  bg_.push_back(pid);
  return pid;
}

}  // namespace podnet::testing
