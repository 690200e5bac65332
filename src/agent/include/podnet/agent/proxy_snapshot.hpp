#pragma once
// From store objects to what the service proxy programs on this node. Pure, no I/O.
#include <string_view>
#include <optional>
#include <vector>

#include "podnet/cluster/endpoints.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/proxy/model.hpp"

namespace podnet::agent {

// The proxy's view of one Service and its endpoints; endpoints on `node` are marked local.
// nullopt while the Service has no clusterIP yet (nothing to program).
std::optional<proxy::Service> to_proxy_service(const cluster::Service& s,
                                               const std::vector<cluster::PortEndpoints>& eps,
                                               std::string_view node);

// The proxy's total of endpoints over every port (podnet_proxy_endpoints).
size_t endpoint_count(const proxy::Service& s);

}  // namespace podnet::agent
