#pragma once
// The cluster store objects and their keys. Values are JSON shaped like their Kubernetes
// counterparts (metadata{name, namespace, labels}, spec{...}, status{...}) so a Kubernetes API
// backend can sit behind the same interface later. Pure, no I/O.
//
//   /podnet/nodes/<name>             Node
//   /podnet/subnets/<ip>-<len>       SubnetLease (flannel's key shape: 192.168.4.0-24)
//   /podnet/pods/<namespace>/<name>  Pod
//   /podnet/services/<ns>/<name>     Service
//
// Parsers validate names, addresses and enums; every error is one line naming the field by
// its JSON path, e.g. "spec.ports[0].port: 70000 must be in 1..65535".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

using Labels = std::map<std::string, std::string>;

// ---- names and keys ----

// The namespace of objects that name none (kubectl's and the store's default).
inline constexpr std::string_view default_namespace = "default";

// A DNS-1123 label: 1..63 of [a-z0-9-], starting and ending alphanumeric. `field` names the
// field in the error ("metadata.name: \"Lxb001\" is not a DNS-1123 label ...").
Result<> validate_dns_label(std::string_view name, std::string_view field);

std::string node_key(std::string_view name);      // "/podnet/nodes/<name>"
std::string subnet_key(const net::Prefix& cidr);  // "/podnet/subnets/192.168.4.0-24"
std::string pod_key(std::string_view ns, std::string_view name);  // "/podnet/pods/<ns>/<name>"
std::string service_key(std::string_view ns,
                        std::string_view name);  // "/podnet/services/<ns>/<name>"
inline constexpr std::string_view nodes_prefix = "/podnet/nodes/";
inline constexpr std::string_view subnets_prefix = "/podnet/subnets/";
inline constexpr std::string_view pods_prefix = "/podnet/pods/";
inline constexpr std::string_view services_prefix = "/podnet/services/";
// The subnet a lease key names ("/podnet/subnets/192.168.4.0-24" or just "192.168.4.0-24").
Result<net::Prefix> subnet_from_key(std::string_view key);

// ---- Node ----
// {"metadata": {"name": "lxb001"},
//  "spec": {"podCIDR": "192.168.4.0/24", "backend": {"vtepMAC": "aa:bb:cc:dd:ee:ff"}},
//  "status": {"addresses": [{"type": "InternalIP", "address": "10.1.1.15"}], "heartbeat":
//  1764145000}}
struct Node {
  std::string name;
  net::IpAddress internalIP;
  net::Prefix podCIDR;
  std::string vtepMAC;    // lower-case "aa:bb:cc:dd:ee:ff"; empty for host-gw
  int64_t heartbeat = 0;  // unix seconds of the agent's last heartbeat (status.heartbeat)
  friend bool operator==(const Node&, const Node&) = default;
};
nlohmann::json to_json(const Node& n);
Result<Node> node_from_json(const nlohmann::json& j);

// ---- SubnetLease ----
// {"metadata": {"name": "192.168.4.0-24"}, "spec": {"cidr": "192.168.4.0/24", "node": "lxb001",
//  "internalIP": "10.1.1.15"}}
struct SubnetLease {
  net::Prefix cidr;
  std::string node;
  net::IpAddress internalIP;
  friend bool operator==(const SubnetLease&, const SubnetLease&) = default;
};
nlohmann::json to_json(const SubnetLease& l);
Result<SubnetLease> lease_from_json(const nlohmann::json& j);

// ---- timestamps ----
// Kubernetes writes times as RFC 3339 in UTC with second precision: "2026-11-26T09:43:51Z".
std::string format_timestamp(int64_t unix_seconds);
Result<int64_t> parse_timestamp(std::string_view text, std::string_view field);

// ---- Pod ----
// {"metadata": {"name", "namespace", "labels", "creationTimestamp",
//               "ownerReferences": [{"kind": "Deployment", "name": "web"}]},
//  "spec": {"nodeName", "containers": [{"name": "app", "ports": [{"containerPort": 80,
//                                                                 "name": "http"}, ...]}]},
//  "status": {"phase", "reason", "podIP", "containerID",
//             "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0}]}}
// The lab's pods have one container; the optional members are written only when set, so
// objects without them keep their older, shorter shape. ports[0] is `port`/`portName`, any
// further ports are `extraPorts` (named ports are what a Service's named targetPort resolves).
enum class PodPhase { Pending, Running, Succeeded, Failed, Unknown };
std::string_view to_string(PodPhase p);
struct ContainerPort {
  std::string name;  // optional; an IANA_SVC_NAME-like label ("http", "metrics")
  uint16_t containerPort = 0;
  friend bool operator==(const ContainerPort&, const ContainerPort&) = default;
};
struct Pod {
  std::string ns{default_namespace};
  std::string name;
  Labels labels;
  int64_t created = 0;                    // metadata.creationTimestamp (unix seconds); 0: unknown
  std::string owner;                      // the Deployment that owns it; empty: none
  std::string node;                       // empty until scheduled
  uint16_t port = 0;                      // the container's port; 0: none declared
  std::string portName;                   // its name (ports[0].name); empty: unnamed
  std::vector<ContainerPort> extraPorts;  // ports[1..] of the container
  std::optional<net::IpAddress> podIP;    // none until the CNI ADD succeeded
  std::string containerID;                // the sandbox (CNI_CONTAINERID); empty until started
  PodPhase phase = PodPhase::Pending;
  std::string reason;        // why not (yet) Running: ContainerCreating, Error, ...
  bool ready = false;        // the container is serving
  int64_t restartCount = 0;  // times the kubelet restarted the container
  friend bool operator==(const Pod&, const Pod&) = default;
};
nlohmann::json to_json(const Pod& p);
Result<Pod> pod_from_json(const nlohmann::json& j);
// The container port named `name` (ports[0] or extraPorts), nullopt when the pod has none.
std::optional<uint16_t> named_port(const Pod& p, std::string_view name);

// ---- Service ----
// {"metadata": {"name", "namespace", "labels", "creationTimestamp"},
//  "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
//           "sessionAffinity": "ClientIP",
//           "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},  (ClientIP only)
//           "externalTrafficPolicy": "Cluster",                                (NodePort only)
//           "internalTrafficPolicy": "Cluster",
//           "publishNotReadyAddresses": true,                                   (when true)
//           "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080,
//                      "nodePort": 30080}],
//           "endpoints": ["10.1.1.1:8080", "10.1.1.2", {"ip": "10.1.1.3", "port": 9090,
//                         "portName": "metrics"}]}}                            (no selector only)
// targetPort is a number or the name of a container port (Kubernetes' IntOrString).
// spec.endpoints (podnet's own, instead of a separate Endpoints object): the backends of a
// Service without selector. "IP" serves every service port at its (numeric) targetPort;
// "IP:PORT" ("[v6]:PORT") serves every service port at PORT; the object form with portName
// serves only that service port. Written back as strings unless portName is set.
enum class ServiceType { ClusterIP, NodePort };
enum class Protocol { TCP, UDP, SCTP };
enum class SessionAffinity { None, ClientIP };
enum class TrafficPolicy { Cluster, Local };
std::string_view to_string(ServiceType t);
std::string_view to_string(Protocol p);
std::string_view to_string(SessionAffinity a);
std::string_view to_string(TrafficPolicy p);

// A targetPort: a number (`number`, name empty) or a container port name (`name`, number 0).
struct TargetPort {
  uint16_t number = 0;
  std::string name;
  TargetPort() = default;
  TargetPort(uint16_t n) : number(n) {}              // NOLINT: implicit like an int
  TargetPort(std::string n) : name(std::move(n)) {}  // NOLINT
  TargetPort(const char* n) : name(n) {}             // NOLINT
  bool named() const { return !name.empty(); }
  std::string str() const;  // "8080" or "http"
  friend bool operator==(const TargetPort&, const TargetPort&) = default;
};

struct ServicePort {
  std::string name;  // optional when the service has one port
  Protocol protocol = Protocol::TCP;
  uint16_t port = 0;
  TargetPort targetPort;  // defaults to port
  uint16_t nodePort = 0;  // 0: none (ClusterIP) or not allocated yet (NodePort)
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

// One explicit backend of a Service without selector (spec.endpoints[i]).
struct ExplicitEndpoint {
  net::IpAddress ip;
  uint16_t port = 0;     // 0: the service port's numeric targetPort
  std::string portName;  // empty: every service port; else only the port of that name
  friend bool operator==(const ExplicitEndpoint&, const ExplicitEndpoint&) = default;
};

inline constexpr int64_t default_affinity_timeout = 10800;  // seconds (Kubernetes' default)
inline constexpr int64_t max_affinity_timeout = 86400;

struct Service {
  std::string ns{default_namespace};
  std::string name;
  Labels labels;
  int64_t created = 0;  // metadata.creationTimestamp (unix seconds); 0: unknown
  ServiceType type = ServiceType::ClusterIP;
  std::optional<net::IpAddress> clusterIP;  // none until allocated
  // spec.externalIPs: addresses the nodes also serve the ports on (kube-proxy's externalIPs),
  // routed to a node by the network outside; served as externalTrafficPolicy Cluster.
  std::vector<net::IpAddress> externalIPs;
  std::vector<ServicePort> ports;
  Labels selector;
  SessionAffinity sessionAffinity = SessionAffinity::None;
  int64_t affinityTimeout =
      default_affinity_timeout;  // sessionAffinityConfig.clientIP.timeoutSeconds
  TrafficPolicy externalTrafficPolicy = TrafficPolicy::Cluster;  // NodePort only
  TrafficPolicy internalTrafficPolicy = TrafficPolicy::Cluster;
  bool publishNotReadyAddresses = false;
  std::vector<ExplicitEndpoint> endpoints;  // only without selector
  friend bool operator==(const Service&, const Service&) = default;
};
nlohmann::json to_json(const Service& s);
// The stored text of a Service: exactly to_json(s).dump(), written without building the JSON
// tree (that tree was 85% of planning a 10000-Service apply).
std::string to_json_text(const Service& s);
// Parses and validates (validate() below): a returned Service is well-formed.
Result<Service> service_from_json(const nlohmann::json& j);

// The object's own invariants, for Services built in code (CLI flags): names, ports 1..65535,
// ports unique per protocol, names required with several ports, nodePort only on NodePort,
// timeoutSeconds 1..86400, externalTrafficPolicy Local only on NodePort, endpoints only
// without selector (and naming existing ports), externalIPs unicast, distinct, not loopback
// and not with externalTrafficPolicy Local. One line naming the field, as the parser's.
Result<> validate(const Service& s);

// Service "IP:PORT" text of an explicit endpoint ("10.1.1.1:8080", "[fd00::1]:80", "10.1.1.1").
std::string to_string(const ExplicitEndpoint& e);
Result<ExplicitEndpoint> parse_explicit_endpoint(std::string_view text, std::string_view field);

}  // namespace podnet::cluster
