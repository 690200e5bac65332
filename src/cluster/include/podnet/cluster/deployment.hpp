#pragma once
// The lab's Deployment: keep N pods of one built-in HTTP container. Pure, no I/O.
//
//   /podnet/deployments/<ns>/<name>
//   {"metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
//                 "creationTimestamp": "2026-11-26T09:43:51Z"},
//    "spec": {"replicas": 3, "port": 80, "selector": {"app": "web"}}}
//
// Its pods are named <deployment>-<5 chars [a-z0-9]>, carry label app=<deployment> and an
// ownerReference to it.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"

namespace podnet::cluster {

inline constexpr std::string_view deployments_prefix = "/podnet/deployments/";
std::string deployment_key(std::string_view ns, std::string_view name);

// Replicas beyond this are refused: the lab runs every pod on one machine.
inline constexpr int64_t max_replicas = 1000;

struct Deployment {
  std::string ns{default_namespace};
  std::string name;
  Labels labels;         // defaults to {app: name}
  int64_t created = 0;   // metadata.creationTimestamp (unix seconds); 0: unknown
  int64_t replicas = 1;  // 0..max_replicas
  uint16_t port = 80;    // the container's port (1..65535)
  Labels selector;       // {app: name}
  friend bool operator==(const Deployment&, const Deployment&) = default;
};

// A new deployment with the lab's defaults: labels and selector app=<name>. Validates the name
// (DNS-1123 label short enough for the pod name suffix), replicas and port.
Result<Deployment> make_deployment(std::string_view ns, std::string_view name, int64_t replicas,
                                   int64_t port, int64_t created);

// Errors name the bad argument: "replicas: -1 must be in 0..1000".
Result<> validate_replicas(int64_t replicas);

nlohmann::json to_json(const Deployment& d);
Result<Deployment> deployment_from_json(const nlohmann::json& j);

// True when the pod's labels match every selector entry (an empty selector matches nothing,
// so a broken deployment never adopts every pod).
bool selector_matches(const Labels& selector, const Labels& labels);

}  // namespace podnet::cluster
