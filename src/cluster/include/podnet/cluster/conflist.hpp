#pragma once
// The CNI network configuration list podnetd writes into the node's CNI config directory
// once it holds its subnet. Pure, no I/O.
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/cluster/config.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

// Bytes the backend adds to every packet on the underlay.
//   vxlan over IPv4: 50 = outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14
//   vxlan over IPv6: 70 = outer IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14
//   host-gw: 0 (pod packets are routed unchanged)
int encap_overhead(BackendType backend, net::Family underlay);

// The pod MTU: underlay MTU minus the backend's overhead, computed, never guessed. Error
// ("mtu: ...") when the underlay MTU is below its family's minimum (576 IPv4, 1280 IPv6) or
// above 65535, or when the pod MTU falls below the pod family's minimum.
Result<int> pod_mtu(BackendType backend, int underlay_mtu, net::Family underlay,
                    net::Family pod_family);
inline Result<int> pod_mtu(BackendType backend, int underlay_mtu, net::Family underlay) {
  return pod_mtu(backend, underlay_mtu, underlay, underlay);
}

enum class PodMode { bridge, ptp };
// The node bridge of bridge mode (the conflist's "bridge"): the pods' host veths are its ports
// and it holds their gateway, the subnet's first address.
inline constexpr std::string_view kPodBridge = "podnet0";
std::string_view to_string(PodMode m);  // "bridge", "ptp"
std::optional<PodMode> parse_pod_mode(std::string_view text);

// {"cniVersion": "1.1.0", "name": "podnet",
//  "plugins": [{"type": "podnet", "mode": "bridge", "bridge": "podnet0", "mtu": <underlay mtu>,
//               "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
//               "ipam": {"type": "podnet-ipam", "ranges": [[{"subnet": "<node subnet>"}]],
//                        "routes": [{"dst": "0.0.0.0/0", "mtu": <pod_mtu>}]}}]}
// ipMasq is false: podnetd masquerades cluster-to-outside traffic once per node, not per pod.
// The default route via the gateway covers the cluster CIDR, the service CIDR and the outside,
// and the node routes onwards. With an encapsulating backend it carries the pod MTU (underlay
// minus overhead; IPAM `routes` appear only then), while the interface keeps the underlay's:
// traffic between pods of one node is not cut to the overlay's size.
// ptp mode leaves out bridge/hairpinMode (the plugin rejects a bridge name in ptp mode).
// `ipam_data_dir`, when not empty, becomes ipam.dataDir (nodes sharing one filesystem, as in
// the lab, must not share IPAM state). `pod_gso_max_size` above 65536 becomes gsoMaxSize (BIG
// TCP on the pod pairs). Error when `subnet` is not inside the cluster CIDR or the MTU is
// impossible.
Result<nlohmann::json> make_conflist(const ClusterConfig& c, const net::Prefix& subnet,
                                     PodMode mode, int underlay_mtu,
                                     net::Family underlay = net::Family::v4,
                                     std::string_view ipam_data_dir = {},
                                     uint32_t pod_gso_max_size = 0);

}  // namespace podnet::cluster
