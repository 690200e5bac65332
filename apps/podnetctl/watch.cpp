#include "watch.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <chrono>

namespace podnet::ctl {

StopSignals::StopSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

Result<> follow(store::Store& s, const StopSignals& stop, std::string_view prefix,
                store::Revision after, const std::function<void(const store::Event&)>& on_event) {
  if (stop.fd() < 0) return fail_errno("signalfd for SIGINT/SIGTERM");
  auto w = PODNET_TRY(s.watch(prefix, after));
  for (;;) {
    pollfd p[2] = {{stop.fd(), POLLIN, 0}, {w->fd(), POLLIN, 0}};
    // At most a second between next() calls: the sqlite backend checks its database there.
    if (::poll(p, w->fd() >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR) return fail_errno("poll");
    if (p[0].revents & POLLIN) return {};
    auto r = PODNET_TRY(w->next(std::chrono::milliseconds(0)));
    if (r.compacted) {
      auto now = PODNET_TRY(s.list(prefix));
      w = PODNET_TRY(s.watch(prefix, now.revision));
      continue;
    }
    for (const auto& ev : r.events) on_event(ev);
  }
}

}  // namespace podnet::ctl
