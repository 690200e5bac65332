#pragma once
// What a kubelet remembers of each pod it runs, one JSON file per pod under
// /run/podnet-lab/<lab>/nodes/<node>/pods/<ns>_<name>.json, written before and after every step
// that creates something, so a restarted kubelet adopts live pods and cleans up half-made ones.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/lab/workload_plan.hpp"
#include "podnet/net/ip.hpp"
#include "wl_process.hpp"

namespace podnet::lab::wl {

struct PodRecord {
  PodRef ref;
  std::string container_id;  // CNI_CONTAINERID of the sandbox
  std::string netns;         // <lab>-pod-<name>
  ProcId pause;
  ProcId container;           // pid 0: not started (or exited and not restarted yet)
  bool cni_added = false;     // ADD succeeded (DEL is due when the pod goes)
  nlohmann::json cni_result;  // the ADD result, prevResult of the DEL
  std::optional<net::IpAddress> ip;
  uint16_t port = 80;
  int64_t restarts = 0;
};

std::string record_path(const std::string& dir, const PodRef& ref);
Result<> save_record(const std::string& dir, const PodRecord& r);
void remove_record(const std::string& dir, const PodRef& ref);
// Every readable record; unreadable files are reported in `errors` and left alone.
std::vector<PodRecord> load_records(const std::string& dir, std::vector<std::string>& errors);

}  // namespace podnet::lab::wl
