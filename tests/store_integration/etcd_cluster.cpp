#include "etcd_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/store/store.hpp"

namespace podnet::store::testing {
namespace {

using namespace std::chrono_literals;
using podnet::testing::sh;

int setns_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  return rc;
}

// Ports free inside the namespace, below the ephemeral range (so client sockets never take
// them while a member is down).
std::vector<int> free_ports(const std::string& netns, int n) {
  std::vector<int> ports;
  std::thread t([&] {
    if (setns_path(netns) != 0) return;
    std::mt19937 rng(std::random_device{}());
    std::vector<int> fds;
    while (static_cast<int>(ports.size()) < n) {
      int port = 20000 + static_cast<int>(rng() % 12000);
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        ports.push_back(port);
        fds.push_back(fd);  // held until all are picked: no duplicates
      } else {
        ::close(fd);
      }
    }
    for (int fd : fds) ::close(fd);
  });
  t.join();
  if (static_cast<int>(ports.size()) != n) throw std::runtime_error("cannot enter " + netns);
  return ports;
}

}  // namespace

InNetns::InNetns(const std::string& netns_path) {
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_ < 0 || setns_path(netns_path) != 0)
    throw std::runtime_error("cannot enter network namespace " + netns_path);
}

InNetns::~InNetns() {
  if (home_ >= 0) {
    (void)::setns(home_, CLONE_NEWNET);
    ::close(home_);
  }
}

std::string etcd_unavailable() {
  if (!podnet::testing::have_root()) return "needs root (network namespaces)";
  if (sh("command -v etcd") != 0) return "etcd is not installed (Debian package etcd-server)";
  return "";
}

EtcdCluster::EtcdCluster(Options opts)
    : opts_(opts), prefix_(podnet::testing::unique_prefix("et")), dir_("/tmp/" + prefix_ + "etcd") {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  try {
    ns_ = std::make_unique<podnet::testing::ScopedNetns>(prefix_ + "etcd");
    netns_path_ = ns_->path();
    auto ports = free_ports(netns_path_, 2 * opts_.members + 1);
    for (int i = 0; i < opts_.members; ++i) {
      client_ports_.push_back(ports[2 * i]);
      peer_ports_.push_back(ports[2 * i + 1]);
    }
    spare_port_ = ports.back();
    pids_.assign(opts_.members, -1);
    if (opts_.tls) make_pki();
  } catch (...) {  // no destructor runs for a half-built object: clean up here
    ns_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < opts_.members; ++i) kill(i);
  ns_.reset();  // removes the namespace (and kills anything left in it)
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void EtcdCluster::make_pki() {
  const std::string pki = dir_ + "/pki";
  std::filesystem::create_directories(pki);
  auto key = [](const std::string& name) {
    return fmt::format("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                       "-keyout {0}.key -out {0}.csr -subj /CN={0}", name);
  };
  auto sign = [](const std::string& name, const std::string& ca, const std::string& ext) {
    return fmt::format("printf '{2}' > {0}.ext && openssl x509 -req -in {0}.csr -CA {1}.crt "
                       "-CAkey {1}.key -CAcreateserial -days 2 -out {0}.crt -extfile {0}.ext",
                       name, ca, ext);
  };
  auto ca = [](const std::string& name) {
    return fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                       "-keyout {0}.key -out {0}.crt -days 2 -subj /CN={0}", name);
  };
  std::string script = fmt::format(
      "(set -e; cd {}; {}; {}; {}; {}; {}; {}; {}; {}; {})",  //
      pki, ca("ca"), ca("other-ca"),                        //
      key("server"), sign("server", "ca", "subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n"),
      key("client"), sign("client", "ca", "extendedKeyUsage=clientAuth\\n"),
      key("stranger"), sign("stranger", "other-ca", "extendedKeyUsage=clientAuth\\n"),
      "chmod 600 *.key");
  std::string out;
  if (podnet::testing::sh(script, &out) != 0)
    throw std::runtime_error("making test certificates failed: " + out);
}

std::string EtcdCluster::endpoint(int i) const { return fmt::format("127.0.0.1:{}", client_ports_[i]); }

std::string EtcdCluster::url(std::vector<int> members, const std::string& query) const {
  if (members.empty())
    for (int i = 0; i < opts_.members; ++i) members.push_back(i);
  std::string u = "etcd://";
  for (size_t k = 0; k < members.size(); ++k) u += (k ? "," : "") + endpoint(members[k]);
  std::string q = query;
  if (opts_.tls)
    q += fmt::format("{}cacert={}&cert={}&key={}", q.empty() ? "" : "&", file("ca.crt"),
                     file("client.crt"), file("client.key"));
  return q.empty() ? u : u + "?" + q;
}

void EtcdCluster::start(int i) {
  if (pids_[i] > 0) return;
  const std::string scheme = opts_.tls ? "https" : "http";
  std::string cluster;
  for (int k = 0; k < opts_.members; ++k)
    cluster += fmt::format("{}m{}=http://127.0.0.1:{}", k ? "," : "", k, peer_ports_[k]);
  std::vector<std::string> args = {
      "etcd",
      "--name", fmt::format("m{}", i),
      "--data-dir", fmt::format("{}/m{}", dir_, i),
      "--listen-client-urls", fmt::format("{}://127.0.0.1:{}", scheme, client_ports_[i]),
      "--advertise-client-urls", fmt::format("{}://127.0.0.1:{}", scheme, client_ports_[i]),
      "--listen-peer-urls", fmt::format("http://127.0.0.1:{}", peer_ports_[i]),
      "--initial-advertise-peer-urls", fmt::format("http://127.0.0.1:{}", peer_ports_[i]),
      "--initial-cluster", cluster,
      "--initial-cluster-state", "new",
      "--initial-cluster-token", prefix_,
      "--heartbeat-interval", "50",
      "--election-timeout", "250"};
  if (opts_.tls)
    args.insert(args.end(), {"--cert-file", file("server.crt"), "--key-file", file("server.key"),
                             "--trusted-ca-file", file("ca.crt"), "--client-cert-auth"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = fmt::format("{}/m{}.log", dir_, i);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    if (setns_path(netns_path_) != 0) ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp("etcd", argv.data());
    ::_exit(127);
  }
  pids_[i] = pid;
}

void EtcdCluster::kill(int i) {
  if (pids_[i] <= 0) return;
  ::kill(pids_[i], SIGKILL);
  ::waitpid(pids_[i], nullptr, 0);
  pids_[i] = -1;
}

Result<> EtcdCluster::start_all(std::chrono::milliseconds timeout) {
  for (int i = 0; i < opts_.members; ++i) start(i);
  return wait_ready(timeout);
}

Result<> EtcdCluster::wait_ready(std::chrono::milliseconds timeout) const {
  Result<> result = fail("not tried");
  std::thread t([&] {
    if (setns_path(netns_path_) != 0) {
      result = fail("cannot enter " + netns_path_);
      return;
    }
    auto s = open_store(url({}, "timeout_ms=300"));
    if (!s) {
      result = fail(s.error());
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto r = (*s)->get("/ready");
      if (r) {
        result = {};
        return;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        result = fail(r.error().context("etcd did not become ready"));
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
  });
  t.join();
  return result;
}

int EtcdCluster::leader() const {
  std::string lead;
  std::vector<std::string> ids(opts_.members);
  for (int i = 0; i < opts_.members; ++i) {
    std::string out;
    if (pids_[i] <= 0 ||
        ns_->sh(fmt::format("curl -s -m 2 -X POST http://{}/v3/maintenance/status -d {{}}", endpoint(i)),
                &out) != 0)
      continue;
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_object() || !j.contains("header")) continue;
    ids[i] = j["header"].value("member_id", std::string());
    if (lead.empty()) lead = j.value("leader", std::string());
  }
  for (int i = 0; i < opts_.members; ++i)
    if (!lead.empty() && ids[i] == lead) return i;
  return -1;
}

std::string EtcdCluster::log_tail(int i) const {
  std::string out;
  podnet::testing::sh(fmt::format("tail -n 20 {}/m{}.log", dir_, i), &out);
  return out;
}

}  // namespace podnet::store::testing
