#pragma once
// Services built from command-line flags: `create service clusterip|nodeport` and `expose
// deployment`, with kubectl's defaults. Pure; every error is one line naming the flag.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"

namespace podnet::ctl {

// `--tcp=PORT[:TARGET]` (TARGET a number or a container port name). The port is named as
// kubectl names it: the spec with ':' replaced by '-' ("80-8080", "80").
Result<cluster::ServicePort> parse_port_spec(std::string_view spec, cluster::Protocol protocol,
                                             std::string_view flag);

struct CreateServiceArgs {
  cluster::ServiceType type = cluster::ServiceType::ClusterIP;
  std::string ns{cluster::default_namespace};
  std::string name;
  std::vector<std::string> tcp, udp;  // port specs
  int64_t node_port = 0;              // --node-port (NodePort; 0: allocate)
};
// Labels and selector app=NAME, as kubectl's `create service`. A UDP port whose kubectl name
// is already taken by a TCP one (--tcp=53 --udp=53) is named "<spec>-udp".
Result<cluster::Service> service_from_create(const CreateServiceArgs& a);

struct ExposeArgs {
  std::string ns{cluster::default_namespace};
  std::string deployment;
  std::string name;                // --name; default: the deployment's
  std::optional<int64_t> port;     // --port; default: the deployment's container port
  std::string target_port;         // --target-port (number or name); default: the port
  std::string type = "ClusterIP";  // --type ClusterIP|NodePort
  std::string protocol = "TCP";    // --protocol TCP|UDP|SCTP
  std::string external_ip;         // --external-ip A[,B...]: spec.externalIPs
};
// The deployment's labels and selector, one unnamed port, as kubectl's `expose`.
Result<cluster::Service> service_from_expose(const ExposeArgs& a, const cluster::Deployment& d);

}  // namespace podnet::ctl
