#pragma once
// The Services every layout of bench_services programs: N services, one TCP port each, two
// endpoints each, addresses derived from the index so every layout sees the same set.
#include <cstdint>
#include <string>
#include <vector>

namespace podnet::bench {

struct SvcEndpoint {
  uint32_t ip = 0;  // host order
  uint16_t port = 0;
};

struct BenchService {
  std::string ns, name;
  uint32_t cluster_ip = 0;  // host order
  uint16_t port = 0;
  std::vector<SvcEndpoint> endpoints;
};

// Cluster and service ranges of the bench (the service CIDR must not overlap the cluster CIDR).
inline constexpr const char* kClusterCidr = "10.128.0.0/10";
inline constexpr const char* kServiceCidr = "10.96.0.0/12";

// Service i: ClusterIP 10.96.0.10+i port 80, endpoints 10.128.0.16+2i and +2i+1 on 8080.
std::vector<BenchService> make_services(int n);

// The replacement endpoint for the one-service update of round `round` (outside every
// service's endpoints, so each round is a real change).
SvcEndpoint spare_endpoint(int round);

std::string ip_text(uint32_t host_order);

}  // namespace podnet::bench
