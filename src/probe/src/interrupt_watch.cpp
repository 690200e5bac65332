#include "interrupt_watch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>

namespace podnet::probe {

namespace {
std::atomic<int> g_write_fd{-1};
volatile std::sig_atomic_t g_signal = 0;
InterruptWatch* g_active = nullptr;

void on_signal(int sig) {
  int saved = errno;
  g_signal = sig;
  int fd = g_write_fd.load();
  if (fd >= 0) {
    char b = static_cast<char>(sig);
    [[maybe_unused]] ssize_t n = ::write(fd, &b, 1);
  }
  errno = saved;
}
}  // namespace

Result<std::unique_ptr<InterruptWatch>> InterruptWatch::install() {
  if (g_active) return fail("trace probe: another probe is running in this process");
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
    return fail_errno("pipe for the probe's signal watch");
  std::unique_ptr<InterruptWatch> w(new InterruptWatch());
  w->read_.reset(p[0]);
  w->write_.reset(p[1]);
  g_signal = 0;
  g_write_fd = p[1];
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &w->old_int_);
  ::sigaction(SIGTERM, &sa, &w->old_term_);
  ::sigaction(SIGHUP, &sa, &w->old_hup_);
  w->installed_ = true;
  g_active = w.get();
  return w;
}

int InterruptWatch::signal() const {
  return g_signal;
}

void InterruptWatch::finish() {
  if (!installed_) return;
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
  g_write_fd = -1;
  installed_ = false;
  g_active = nullptr;
  if (int sig = g_signal) {
    g_signal = 0;
    ::raise(sig);
  }
}

InterruptWatch::~InterruptWatch() {
  finish();
}

}  // namespace podnet::probe
