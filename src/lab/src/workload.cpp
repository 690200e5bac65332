// run_kubelet / run_controller for `podnetctl lab kubelet|controller`: paths from lab.json,
// SIGTERM/SIGINT end the loop.
#include "podnet/lab/workload.hpp"

#include <signal.h>

#include <atomic>

#include <fmt/format.h>

#include "podnet/common/log.hpp"
#include "podnet/lab/kubelet.hpp"
#include "podnet/lab/plan.hpp"

namespace podnet::lab {
namespace {

std::atomic<bool> stop_requested{false};

void on_stop(int) {
  stop_requested = true;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a wait returns early
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

}  // namespace

KubeletConfig kubelet_config(const LabState& lab, std::string_view node) {
  const auto paths = lab_paths(lab.spec.name);
  KubeletConfig cfg;
  cfg.lab = lab.spec.name;
  cfg.node = std::string(node);
  cfg.store_url = lab.store_url;
  cfg.conflist = paths.conflist(node);
  cfg.cni_path = paths.cni_bin();
  cfg.pods_dir = paths.node_dir(node) + "/pods";
  return cfg;
}

std::string container_log_path(const KubeletConfig& cfg, std::string_view ns,
                               std::string_view pod) {
  return fmt::format("{}/{}_{}.log", cfg.pods_dir, ns, pod);
}

int run_kubelet(const LabState& lab, std::string_view node) {
  install_stop_handlers();
  log::set_prefix(fmt::format("kubelet[{}]", node));
  log::set_stderr_level(log::Level::info);  // stderr is the kubelet's log file
  log::info("starting for lab {} with store {}", lab.spec.name, lab.store_url);
  if (auto r = kubelet_loop(kubelet_config(lab, node), stop_requested); !r) {
    log::error("{}", r.error().message);
    return 1;
  }
  return 0;
}

int run_controller(const LabState& lab) {
  install_stop_handlers();
  log::set_prefix("controller");
  log::set_stderr_level(log::Level::info);
  log::info("starting for lab {} with store {}", lab.spec.name, lab.store_url);
  if (auto r = controller_loop(ControllerConfig{lab.store_url}, stop_requested); !r) {
    log::error("{}", r.error().message);
    return 1;
  }
  return 0;
}

}  // namespace podnet::lab
