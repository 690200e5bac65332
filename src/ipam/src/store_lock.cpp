#include "store_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

namespace podnet::ipam {

namespace {

void interrupt_only(int) {}

// Arms a timer that sends SIGALRM to the calling thread when `first` has passed and then every
// `every`, so a blocking flock() returns EINTR: the handler is installed without SA_RESTART.
// The repeat covers a signal that lands just before flock() is entered.
class WakeTimer {
 public:
  WakeTimer(std::chrono::milliseconds first, std::chrono::milliseconds every) {
    struct sigaction sa {};
    sa.sa_handler = interrupt_only;
    sigemptyset(&sa.sa_mask);
    // Left installed afterwards: a signal generated just before timer_delete must never meet
    // SIGALRM's default action (termination). Nothing else in the plugins uses SIGALRM.
    if (::sigaction(SIGALRM, &sa, nullptr) != 0) return;
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGALRM;
    sev._sigev_un._tid = ::gettid();
    if (::timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0) return;
    armed_ = true;
    auto ts = [](std::chrono::milliseconds ms) {
      return timespec{static_cast<time_t>(ms.count() / 1000),
                      static_cast<long>(ms.count() % 1000) * 1000000L};
    };
    itimerspec its{ts(every), ts(first)};
    ::timer_settime(timer_, 0, &its, nullptr);
  }
  ~WakeTimer() {
    if (armed_) ::timer_delete(timer_);
  }
  WakeTimer(const WakeTimer&) = delete;
  WakeTimer& operator=(const WakeTimer&) = delete;
  bool armed() const { return armed_; }

 private:
  timer_t timer_{};
  bool armed_ = false;
};

}  // namespace

Result<UniqueFd> lock_within(int dirfd, const std::string& path,
                             std::chrono::milliseconds timeout) {
  // Shared by every invocation, so not O_EXCL; never through a link, never a FIFO.
  UniqueFd fd(::openat(dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(fmt::format("open lock {}", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  if (!S_ISREG(st.st_mode)) return fail(fmt::format("lock {}: not a regular file", path));
  // Uncontended: one system call, no timer.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
  if (errno != EWOULDBLOCK) return fail_errno(fmt::format("flock {}", path));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  WakeTimer wake(timeout, std::chrono::milliseconds(50));
  if (!wake.armed()) return fail_errno(fmt::format("timer for lock {}", path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(fmt::format("flock {}", path));
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(Error{ETIMEDOUT, fmt::format("lock {}: held by another process for more "
                                               "than {} ms",
                                               path, timeout.count())});
  }
  return fd;
}

}  // namespace podnet::ipam
