#include "podnet/lab/processes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "podnet/common/unique_fd.hpp"
#include "podnet/lab/plan.hpp"

extern char** environ;

namespace podnet::lab {
namespace {

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void child_fail(int pipe_fd, int err) {
  (void)!::write(pipe_fd, &err, sizeof err);
  ::_exit(127);
}

Result<> read_exact(int fd, void* buf, size_t n, bool* eof) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, static_cast<char*>(buf) + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail_errno("read launch pipe");
    if (r == 0) {
      *eof = true;
      return {};
    }
    got += static_cast<size_t>(r);
  }
  *eof = false;
  return {};
}

}  // namespace

Result<ProcessRecord> launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return fail("launch " + spec.role + ": empty command");
  const std::string ns_path = netns_path(spec.netns);
  UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return fail_errno(fmt::format("open netns {} for {}", ns_path, spec.role));
  UniqueFd log(::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) return fail_errno("open log " + spec.log);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return fail_errno("open /dev/null");
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe for launching " + spec.role);
  UniqueFd rd(p[0]), wr(p[1]);

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t middle = ::fork();
  if (middle < 0) return fail_errno("fork for " + spec.role);
  if (middle == 0) {
    pid_t daemon = ::fork();
    if (daemon < 0) child_fail(wr.get(), errno);
    if (daemon > 0) {
      (void)!::write(wr.get(), &daemon, sizeof daemon);
      ::_exit(0);
    }
    // The daemon: one thread (fork keeps only the caller), so setns moves all of it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (::setns(ns.get(), CLONE_NEWNET) != 0) child_fail(wr.get(), errno);
    ::setsid();
    if (::chdir("/") != 0) child_fail(wr.get(), errno);
    if (::dup2(devnull.get(), 0) < 0 || ::dup2(log.get(), 1) < 0 || ::dup2(log.get(), 2) < 0)
      child_fail(wr.get(), errno);
    // Nothing of ours leaks into the daemon (inherited fds would keep pipes and files open).
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvp(argv[0], argv.data());
    child_fail(wr.get(), errno);
  }
  wr.reset();
  int st = 0;
  while (::waitpid(middle, &st, 0) < 0 && errno == EINTR) {
  }
  pid_t daemon = 0;
  bool eof = false;
  PODNET_TRY_VOID(read_exact(rd.get(), &daemon, sizeof daemon, &eof));
  if (eof || daemon <= 0) return fail("launch " + spec.role + ": the launcher died before forking");
  int err = 0;
  PODNET_TRY_VOID(read_exact(rd.get(), &err, sizeof err, &eof));
  if (!eof)
    return fail(Error::from_errno(
        err, fmt::format("start {} ({}) in netns {}", spec.role, spec.argv[0], spec.netns)));
  ProcessRecord rec;
  rec.role = spec.role;
  rec.node = spec.node;
  rec.pid = daemon;
  rec.start_time = process_start_time(daemon).value_or(0);
  rec.netns = spec.netns;
  rec.log = spec.log;
  return rec;
}

std::optional<uint64_t> process_start_time(int pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // comm (field 2) may contain spaces and parentheses: fields restart after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  // Field 3 is the state; field 22 the start time.
  if (!(rest >> field) || field == "Z" || field == "X") return std::nullopt;
  for (int i = 4; i <= 22; ++i)
    if (!(rest >> field)) return std::nullopt;
  return std::strtoull(field.c_str(), nullptr, 10);
}

bool process_alive(const ProcessRecord& p) {
  if (p.pid <= 0) return false;
  auto t = process_start_time(p.pid);
  return t && (p.start_time == 0 || *t == p.start_time);
}

std::optional<NsId> netns_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return NsId{st.st_dev, st.st_ino};
}

std::vector<int> processes_in(const std::set<NsId>& ids) {
  std::vector<int> out;
  if (ids.empty()) return out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  const int self = ::getpid();
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    auto id = netns_id(fmt::format("/proc/{}/ns/net", pid));
    if (id && ids.contains(*id)) out.push_back(static_cast<int>(pid));
  }
  ::closedir(d);
  return out;
}

std::string tail_file(const std::string& path, int lines) {
  std::ifstream f(path);
  if (!f) return "";
  std::vector<std::string> all;
  for (std::string l; std::getline(f, l);) all.push_back(std::move(l));
  std::string out;
  size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  for (size_t i = from; i < all.size(); ++i) out += all[i] + "\n";
  return out;
}

}  // namespace podnet::lab
