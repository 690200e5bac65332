#pragma once
// What `get services`, `get endpoints` and `describe service` print, shaped like kubectl's
// output. Pure, no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "podnet/cluster/endpoints.hpp"
#include "podnet/cluster/event.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::ctl {

struct ServiceTableOptions {
  bool wide = false;        // -o wide: SELECTOR column
  bool namespaces = false;  // -A: NAMESPACE column first
};

// PORT(S): "80/TCP", "80:30543/TCP" (NodePort), comma-joined; "<none>" without ports.
std::string ports_column(const cluster::Service& s);
std::string external_ips_column(const cluster::Service& s);  // "<none>" or A,B
// SELECTOR: "app=web,tier=front" (key order); "<none>" when empty.
std::string selector_column(const cluster::Labels& selector);

// [NAMESPACE] NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE [SELECTOR], rows in the given order.
std::string services_table(const std::vector<cluster::Service>& services, int64_t now,
                           ServiceTableOptions opt);

// One row of `get endpoints`: the service and its computed endpoints.
struct EndpointsRow {
  const cluster::Service* service = nullptr;
  std::vector<cluster::PortEndpoints> ports;
};
// [NAMESPACE] NAME ENDPOINTS AGE.
std::string endpoints_table(const std::vector<EndpointsRow>& rows, int64_t now, bool namespaces);

// `describe service`: kubectl's layout (Name, Namespace, Labels, Annotations, Selector, Type,
// IP Family Policy, IP Families, IP, IPs, Port/TargetPort/NodePort/Endpoints per port,
// Session Affinity, External/Internal Traffic Policy, Events).
// `events`: the Service's, oldest first; ages against `now`.
std::string describe_service(const cluster::Service& s,
                             const std::vector<cluster::PortEndpoints>& eps,
                             const std::vector<cluster::StoredEvent>& events = {}, int64_t now = 0);

// The Endpoints object kubectl shows for `get endpoints -o json|yaml`: subsets of addresses
// (ready) / notReadyAddresses and ports, one subset per service port.
nlohmann::json endpoints_json(const cluster::Service& s,
                              const std::vector<cluster::PortEndpoints>& eps);

}  // namespace podnet::ctl
