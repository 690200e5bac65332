#pragma once
// The lab's workloads side: the per-node kubelet and the lab controller. `podnetctl lab up`
// starts them as hidden subcommands (`podnetctl lab kubelet --lab L --node N` inside the node
// netns, `podnetctl lab controller --lab L` inside the lab's ext netns), which call these.
// Implemented in workload.cpp over kubelet.hpp's loops (owned by the workloads part).
#include <string_view>

#include "podnet/lab/state.hpp"

namespace podnet::lab {

// Runs until SIGTERM/SIGINT; returns the process exit code. `lab` is the running lab's
// lab.json (paths: lab_paths(lab.spec.name); store: lab.store_url).
int run_kubelet(const LabState& lab, std::string_view node);
int run_controller(const LabState& lab);

}  // namespace podnet::lab
