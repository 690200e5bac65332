#pragma once
// Tables of `podnetctl get pods|deployments`, shaped like kubectl's. Pure, no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/lab/table.hpp"  // human_age

namespace podnet::lab {

struct TableOptions {
  bool wide = false;        // -o wide: more columns
  bool namespaces = false;  // -A: a NAMESPACE column first, as kubectl's --all-namespaces
};

// [NAMESPACE] NAME READY STATUS RESTARTS AGE [IP NODE]. STATUS is the reason when there is one
// (a pod being created shows ContainerCreating), else the phase.
std::string pods_table(std::vector<cluster::Pod> pods, int64_t now, TableOptions opt);

// [NAMESPACE] NAME READY UP-TO-DATE AVAILABLE AGE; READY counts the deployment's ready pods.
std::string deployments_table(std::vector<cluster::Deployment> deployments,
                              const std::vector<cluster::Pod>& pods, int64_t now,
                              TableOptions opt = {});

}  // namespace podnet::lab
