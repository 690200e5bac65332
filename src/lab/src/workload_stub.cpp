// Placeholder kubelet and controller until the workloads part lands: they idle until told to
// stop, so the lab's process bookkeeping (status, down) already covers them.
#include <signal.h>

#include "podnet/lab/workload.hpp"

namespace podnet::lab {
namespace {
int wait_for_stop() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
}  // namespace

int run_kubelet(const LabState&, std::string_view) { return wait_for_stop(); }
int run_controller(const LabState&) { return wait_for_stop(); }

}  // namespace podnet::lab
