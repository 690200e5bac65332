#pragma once
// What the node must program for Services (pure input to the proxy). Built by podnetd from the
// store's services and the ready pods; the proxy never reads the store itself.
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "podnet/net/ip.hpp"

namespace podnet::proxy {

enum class Protocol : uint8_t { tcp = 6, udp = 17, sctp = 132 };

struct Endpoint {
  net::IpAddress ip;
  uint16_t port = 0;   // targetPort, resolved
  bool local = false;  // on this node
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct ServicePort {
  std::string name;
  Protocol protocol = Protocol::tcp;
  uint16_t port = 0;
  uint16_t node_port = 0;           // 0: none
  std::vector<Endpoint> endpoints;  // ready ones, targetPort resolved
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

struct Service {
  std::string ns, name;
  net::IpAddress cluster_ip;
  std::vector<ServicePort> ports;
  uint32_t affinity_timeout = 0;  // seconds; 0 = sessionAffinity None, else ClientIP
  bool external_local = false;    // externalTrafficPolicy Local
  bool internal_local = false;    // internalTrafficPolicy Local
  // spec.externalIPs (the cluster IP's family): dispatched like the ClusterIP on every port,
  // with every endpoint (externalTrafficPolicy Cluster), masqueraded from outside the cluster.
  std::vector<net::IpAddress> external_ips;
  // 0, or a value naming this view of this Service: the caller changes it whenever anything
  // above changes and never gives the same nonzero value to another Service (podnetd counts
  // over all Services). Equal nonzero versions tell the proxier a Service is unchanged without
  // comparing it field by field, so a partial sync costs the Services that changed rather than
  // a comparison of every one.
  uint64_t version = 0;
  friend bool operator==(const Service&, const Service&) = default;
};

struct NodeInfo {
  net::Prefix cluster_cidr;
  net::Prefix service_cidr;
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

struct Snapshot {
  NodeInfo node;
  std::vector<Service> services;  // in any order
};

}  // namespace podnet::proxy
