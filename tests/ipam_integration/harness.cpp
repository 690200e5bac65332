#include "harness.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "podnet/net/ip.hpp"

namespace podnet::ipam::it {

namespace fs = std::filesystem;

std::string podnet_ipam_binary() {
  return std::string(PODNET_BUILD_DIR) + "/apps/podnet-ipam/podnet-ipam";
}
bool have_host_local() {
  return ::access(kHostLocal, X_OK) == 0;
}

std::vector<std::string> Outcome::ips() const {
  std::vector<std::string> out;
  if (doc.is_object() && doc.contains("ips"))
    for (const auto& i : doc["ips"]) out.push_back(i["address"].get<std::string>());
  return out;
}

namespace {
std::string drain(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}
}  // namespace

Child::Child(const Call& c) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  std::vector<std::string> env = {"CNI_COMMAND=" + c.command,
                                  "CNI_CONTAINERID=" + c.container_id,
                                  "CNI_NETNS=/var/run/netns/ipam-it",
                                  "CNI_IFNAME=" + c.ifname,
                                  "CNI_PATH=/usr/lib/cni",
                                  "CNI_ARGS=" + c.cni_args,
                                  "PATH=/usr/bin:/bin"};
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string argv0 = c.binary;
  char* argv[] = {argv0.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  int rc = posix_spawn(&pid_, c.binary.c_str(), &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ADD_FAILURE() << "spawn " << c.binary << ": " << std::strerror(rc);
    pid_ = -1;
  } else {
    // Configs are far below the pipe buffer: this never blocks. EPIPE (child killed) is fine.
    const char* p = c.config.data();
    size_t left = c.config.size();
    while (left > 0) {
      ssize_t n = ::write(in[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  ::close(in[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      err_fd_(std::exchange(o.err_fd_, -1)) {}

Child::~Child() {
  if (pid_ > 0) (void)finish();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

Outcome Child::finish() {
  Outcome o;
  if (pid_ <= 0) return o;
  o.out = drain(out_fd_);
  o.err = drain(err_fd_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  o.doc = nlohmann::json::parse(o.out, nullptr, false);
  if (o.doc.is_discarded()) o.doc = nullptr;
  return o;
}

Outcome run(const Call& c) {
  return Child(c).finish();
}

void IpamTest::SetUp() {
  char tmpl[] = "/tmp/podnet-ipam-it-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
  data_dir_ = tmpl;
  ASSERT_EQ(::access(podnet_ipam_binary().c_str(), X_OK), 0) << podnet_ipam_binary();
}

void IpamTest::TearDown() {
  std::error_code ec;
  if (!data_dir_.empty()) fs::remove_all(data_dir_, ec);
}

std::string IpamTest::conf(const std::string& ipam_body, const std::string& version,
                           const std::string& extra, const std::string& type) const {
  std::ostringstream s;
  s << R"({"cniVersion":")" << version << R"(","name":")" << network_ << R"(","type":"bridge",)";
  if (!extra.empty()) s << extra << ",";
  s << R"("ipam":{"type":")" << type << R"(","dataDir":")" << data_dir_ << "\"";
  if (!ipam_body.empty()) s << "," << ipam_body;
  s << "}}";
  return s.str();
}

Outcome IpamTest::podnet(const std::string& cmd, const std::string& id, const std::string& config,
                         const std::string& ifname, const std::string& args) {
  return run(Call{podnet_ipam_binary(), cmd, id, ifname, config, args});
}

Outcome IpamTest::host_local(const std::string& cmd, const std::string& id,
                             const std::string& config, const std::string& ifname) {
  return run(Call{kHostLocal, cmd, id, ifname, config, ""});
}

std::map<std::string, std::string> IpamTest::address_files() const {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(net_dir(), ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file() && net::IpAddress::parse(name)) out[name] = read(name);
  }
  return out;
}

std::map<std::string, std::string> IpamTest::index_files() const {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(net_dir() + "/.podnet/by-id", ec))
    out[e.path().filename().string()] = read(".podnet/by-id/" + e.path().filename().string());
  return out;
}

void IpamTest::write(const std::string& rel, const std::string& content) const {
  fs::create_directories(fs::path(net_dir() + "/" + rel).parent_path());
  std::ofstream(net_dir() + "/" + rel, std::ios::binary) << content;
}

std::string IpamTest::read(const std::string& rel) const {
  std::ifstream f(net_dir() + "/" + rel, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool IpamTest::exists(const std::string& rel) const {
  return fs::exists(net_dir() + "/" + rel);
}

}  // namespace podnet::ipam::it
