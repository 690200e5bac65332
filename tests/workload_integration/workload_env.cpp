#include "workload_env.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "podnet/common/log.hpp"

#include "podnet/common/files.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::testing {

namespace fs = std::filesystem;

namespace {
std::atomic<bool> child_stop{false};
void on_term(int) {
  child_stop = true;
}
}  // namespace

int run_in_child(const std::string& netns_path, const std::function<int()>& f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) _exit(111);
    ::close(fd);
    _exit(f());
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

WorkloadEnv::WorkloadEnv(std::string_view tag) {
  prefix_ = unique_prefix(tag);
  lab_ = prefix_.substr(0, prefix_.size() - 1);  // "pnt1234a-" -> "pnt1234a"
  dir_ = "/tmp/" + prefix_ + "dir";
  fs::remove_all(dir_);
  fs::create_directories(dir_ + "/bin");
  fs::create_directories(dir_ + "/ipam");
  fs::create_directories(dir_ + "/net.d");
  fs::create_symlink(build_path("apps/podnet/podnet"), dir_ + "/bin/podnet");
  fs::create_symlink(build_path("apps/podnet-ipam/podnet-ipam"), dir_ + "/bin/podnet-ipam");
  node_ = std::make_unique<ScopedNetns>(prefix_ + "node");
  nlohmann::json conflist = {{"cniVersion", "1.1.0"},
                             {"name", "podnet"},
                             {"plugins",
                              {{{"type", "podnet"},
                                {"mode", "bridge"},
                                {"bridge", "podnet0"},
                                {"mtu", 1450},
                                {"isGateway", true},
                                {"isDefaultGateway", true},
                                {"ipMasq", false},
                                {"hairpinMode", true},
                                {"ipam",
                                 {{"type", "podnet-ipam"},
                                  {"dataDir", dir_ + "/ipam"},
                                  {"ranges", {{{{"subnet", "192.168.77.0/24"}}}}}}}}}}};
  std::ofstream(dir_ + "/net.d/10-podnet.conflist") << conflist.dump(2);
  cfg_.lab = lab_;
  cfg_.node = "node1";
  cfg_.store_url = "sqlite://" + dir_ + "/store.db";
  cfg_.conflist = dir_ + "/net.d/10-podnet.conflist";
  cfg_.cni_path = dir_ + "/bin";
  cfg_.pods_dir = dir_ + "/pods";
  cfg_.resync = std::chrono::milliseconds(300);
  store_ = std::move(store::open_store(cfg_.store_url).value());
}

WorkloadEnv::~WorkloadEnv() {
  stop_kubelet();
  // Whatever the test left running: container, CNI DEL (in the node netns), pause, netns.
  auto cfg = cfg_;
  run_in_child(node_->path(), [&] {
    lab::remove_all_pods(cfg);
    return 0;
  });
  for (const auto& e : fs::directory_iterator("/var/run/netns"))
    if (e.path().filename().string().starts_with(lab_ + "-pod-"))
      sh("ip netns delete " + e.path().filename().string());
  store_.reset();
  node_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

size_t WorkloadEnv::log_count(const std::string& needle) const {
  auto text = read_file(dir_ + "/kubelet.log");
  if (!text) return 0;
  size_t n = 0;
  for (size_t pos = text->find(needle); pos != std::string::npos; pos = text->find(needle, pos + 1)) ++n;
  return n;
}

bool WorkloadEnv::wait_log(const std::string& needle, size_t count, int timeout_ms) const {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (log_count(needle) < count) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the file
  }
  return true;
}

std::string WorkloadEnv::pod_netns(const std::string& pod) const {
  return lab_ + "-pod-" + pod;
}

void WorkloadEnv::start_kubelet() {
  ASSERT_LT(kubelet_, 0);
  auto cfg = cfg_;
  std::string log = dir_ + "/kubelet.log";
  kubelet_ = ::fork();
  if (kubelet_ == 0) {
    int fd = ::open(node_->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) _exit(111);
    int lf = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(lf, 2);
    struct sigaction sa {};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, nullptr);
    podnet::log::set_stderr_level(podnet::log::Level::info);
    podnet::log::set_prefix("kubelet[test]");
    auto r = lab::kubelet_loop(cfg, child_stop);
    if (!r) podnet::log::error("{}", r.error().message);
    _exit(r ? 0 : 1);
  }
}

void WorkloadEnv::stop_kubelet() {
  if (kubelet_ <= 0) return;
  ::kill(kubelet_, SIGTERM);
  int st = 0;
  ::waitpid(kubelet_, &st, 0);
  kubelet_ = -1;
}

void WorkloadEnv::put_pod(const std::string& name, uint16_t port) {
  cluster::Pod p;
  p.name = name;
  p.node = cfg_.node;
  p.port = port;
  p.created = std::time(nullptr);
  ASSERT_TRUE(
      store_->put(cluster::pod_key("default", name), cluster::to_json(p).dump()).has_value());
}

std::optional<cluster::Pod> WorkloadEnv::get_pod(const std::string& name) {
  auto kv = store_->get(cluster::pod_key("default", name));
  if (!kv || !*kv) return std::nullopt;
  auto p = cluster::pod_from_json(nlohmann::json::parse((*kv)->value));
  if (!p) return std::nullopt;
  return *p;
}

std::optional<cluster::Pod> WorkloadEnv::wait_pod(
    const std::string& name, const std::function<bool(const cluster::Pod&)>& pred, int timeout_ms) {
  std::optional<cluster::Pod> last;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    last = get_pod(name);
    if (last && pred(*last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

std::vector<std::string> WorkloadEnv::allocated_ips() const {
  std::vector<std::string> out;
  std::error_code ec;
  static const std::regex ip_re(R"(^[0-9.]+$)");
  for (const auto& e : fs::directory_iterator(dir_ + "/ipam/podnet", ec)) {
    auto n = e.path().filename().string();
    if (std::regex_match(n, ip_re)) out.push_back(n);
  }
  return out;
}

nlohmann::json WorkloadEnv::record(const std::string& pod) const {
  auto text = read_file(cfg_.pods_dir + "/default_" + pod + ".json");
  if (!text) return nullptr;
  return nlohmann::json::parse(*text, nullptr, false);
}

std::string http_get(const std::string& netns_path, const std::string& ip, int port) {
  auto ns = sys::Netns::open(netns_path);
  if (!ns) return "";
  auto r = sys::run_in(*ns, [&]() -> std::string {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{3, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    std::string out;
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string req = fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", ip);
      (void)!::write(s, req.data(), req.size());
      char buf[4096];
      ssize_t n;
      while ((n = ::read(s, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    }
    ::close(s);
    auto body = out.find("\r\n\r\n");
    return body == std::string::npos ? "" : out.substr(body + 4);
  });
  return r ? *r : "";
}

}  // namespace podnet::testing
