#pragma once
// The namespaces one service-proxy measurement runs in, all made by the bench and removed with
// this object (also on failure): the node (where the rules go, forwarding on), a pod holding
// the target service's endpoints (a real listener on their port) and a client pod that connects
// to the target's ClusterIP through the node, as pod-to-service traffic does.
//
//   client 10.191.255.2/30 --- nc | node | np --- 10.0.1.2/30 pod (endpoint IPs on lo)
#include <string>
#include <vector>

#include "podnet/testing/netns_fixture.hpp"
#include "service_set.hpp"

namespace podnet::bench {

struct ConnectStats {
  double median_ms = 0, p99_ms = 0;
  int ok = 0, failed = 0;
  std::string first_error;
};

class ServiceTopology {
 public:
  // target: the service whose endpoints live in the pod netns.
  ServiceTopology(const std::string& prefix, const BenchService& target);
  ~ServiceTopology();
  ServiceTopology(const ServiceTopology&) = delete;
  ServiceTopology& operator=(const ServiceTopology&) = delete;

  std::string node_path() const { return node_.path(); }

  // `count` TCP connects (after a few unmeasured ones) from the client to ClusterIP:port; each
  // is a new flow, so each first packet goes through the NAT rules. Time = connect() until the
  // handshake completes.
  ConnectStats connect_latency(const BenchService& target, int count) const;

 private:
  podnet::testing::ScopedNetns node_, pod_, client_;
  int listen_fd_ = -1;
};

double percentile(std::vector<double> v, double p);

}  // namespace podnet::bench
