#include "podnet/cluster/conflist.hpp"

#include "json_util.hpp"
#include "podnet/net/gso.hpp"

namespace podnet::cluster {

using detail::json;

namespace {
int min_mtu(net::Family f) { return f == net::Family::v4 ? 576 : 1280; }
std::string_view fam(net::Family f) { return f == net::Family::v4 ? "IPv4" : "IPv6"; }
}  // namespace

std::string_view to_string(PodMode m) {
  return m == PodMode::bridge ? "bridge" : "ptp";
}

std::optional<PodMode> parse_pod_mode(std::string_view text) {
  if (text == "bridge") return PodMode::bridge;
  if (text == "ptp") return PodMode::ptp;
  return std::nullopt;
}

int encap_overhead(BackendType backend, net::Family underlay) {
  if (backend == BackendType::host_gw) return 0;
  return underlay == net::Family::v4 ? 50 : 70;
}

Result<int> pod_mtu(BackendType backend, int underlay_mtu, net::Family underlay,
                    net::Family pod_family) {
  if (underlay_mtu < min_mtu(underlay) || underlay_mtu > 65535)
    return fail(fmt::format("mtu: underlay MTU {} must be in {}..65535 for {}", underlay_mtu,
                            min_mtu(underlay), fam(underlay)));
  const int overhead = encap_overhead(backend, underlay);
  const int mtu = underlay_mtu - overhead;
  if (mtu < min_mtu(pod_family))
    return fail(fmt::format("mtu: pod MTU {} (underlay {} - {} for {} over {}) is below the {} minimum {}",
                            mtu, underlay_mtu, overhead, to_string(backend), fam(underlay),
                            fam(pod_family), min_mtu(pod_family)));
  return mtu;
}

Result<nlohmann::json> make_conflist(const ClusterConfig& c, const net::Prefix& subnet, PodMode mode,
                                     int underlay_mtu, net::Family underlay,
                                     std::string_view ipam_data_dir, uint32_t pod_gso_max_size) {
  PODNET_TRY_VOID(validate(c));
  if (subnet.masked() != subnet || !c.clusterCIDR.contains(subnet))
    return fail(fmt::format("subnet: {} is not a subnet of clusterCIDR {}", subnet.str(),
                            c.clusterCIDR.str()));
  const int off_node_mtu =
      PODNET_TRY(pod_mtu(c.backend.type, underlay_mtu, underlay, subnet.family()));
  json ipam = {{"type", "podnet-ipam"},
               {"ranges", json::array({json::array({{{"subnet", subnet.str()}}})})}};
  // Encapsulation only costs on the way out of the node: the pod's interface keeps the
  // underlay's MTU (pods on one node talk at full size) and the default route, which every
  // off-node destination takes, carries the smaller one.
  if (off_node_mtu < underlay_mtu)
    ipam["routes"] = json::array(
        {{{"dst", subnet.family() == net::Family::v4 ? "0.0.0.0/0" : "::/0"},
          {"mtu", off_node_mtu}}});
  if (!ipam_data_dir.empty()) ipam["dataDir"] = ipam_data_dir;
  json plugin = {{"type", "podnet"},
                 {"mode", mode == PodMode::bridge ? "bridge" : "ptp"},
                 {"mtu", underlay_mtu},
                 {"isGateway", true},
                 {"isDefaultGateway", true},
                 {"ipMasq", false}};
  if (pod_gso_max_size > net::kLegacyGsoMaxSize) plugin["gsoMaxSize"] = pod_gso_max_size;
  if (mode == PodMode::bridge) {
    plugin["bridge"] = std::string(kPodBridge);
    plugin["hairpinMode"] = true;
  }
  plugin["ipam"] = std::move(ipam);
  return json{{"cniVersion", "1.1.0"}, {"name", "podnet"}, {"plugins", json::array({plugin})}};
}

}  // namespace podnet::cluster
