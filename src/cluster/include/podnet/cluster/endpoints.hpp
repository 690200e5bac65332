#pragma once
// A Service's endpoints (like Kubernetes' EndpointSlices), computed from the Service and the
// pods. Pure, no I/O: every agent computes them from the store's pods and services.
//
// With a selector: the pods of the Service's namespace whose labels include every selector
// pair, that have a podIP and are Running and ready (or, with publishNotReadyAddresses, any
// pod with a podIP that is not Succeeded/Failed). Per service port the targetPort is resolved:
// a number as is; a name through the pod's container ports (pods without that port are left
// out for that port only). Without selector: spec.endpoints (each with node "").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/deployment.hpp"  // selector_matches
#include "podnet/cluster/objects.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

struct Endpoint {
  net::IpAddress ip;
  uint16_t port = 0;  // the resolved targetPort
  std::string node;   // the pod's node ("" for explicit endpoints): the proxy marks local ones
  std::string pod;    // the pod's name ("" for explicit endpoints)
  bool ready = true;  // false only for not-ready pods kept by publishNotReadyAddresses
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// The endpoints of one service port; `index` is the position in Service::ports.
struct PortEndpoints {
  size_t index = 0;
  std::string name;  // the service port's name
  Protocol protocol = Protocol::TCP;
  uint16_t port = 0;                // the service port
  std::vector<Endpoint> endpoints;  // sorted by (ip, port), no duplicates
  friend bool operator==(const PortEndpoints&, const PortEndpoints&) = default;
};

// One entry per service port, in Service::ports order. `pods` may hold pods of any namespace.
std::vector<PortEndpoints> compute_endpoints(const Service& s, const std::vector<Pod>& pods);

// kubectl's ENDPOINTS column: "192.168.0.2:80,192.168.1.2:80"; "<none>" when empty; after
// `max_shown` (3) addresses " + N more...". Every port's endpoints, deduplicated, in order.
std::string endpoints_column(const std::vector<PortEndpoints>& eps, size_t max_shown = 3);

}  // namespace podnet::cluster
