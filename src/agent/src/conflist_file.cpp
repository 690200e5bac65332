#include "conflist_file.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "node_io.hpp"
#include "podnet/agent/bridge_netfilter.hpp"
#include "podnet/agent/local_state.hpp"
#include "podnet/cluster/conflist.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

ConflistFile::ConflistFile(const Options& o, cluster::ClusterConfig cfg)
    : cfg_(std::move(cfg)),
      mode_(o.mode),
      path_(o.cni_conf_dir + "/" + std::string(kConflistName)),
      ipam_data_dir_(o.ipam_data_dir),
      pod_gso_max_size_(o.pod_gso_max_size) {}

Result<> ConflistFile::write(const net::Prefix& subnet, const Underlay& ul) {
  auto j = PODNET_TRY(cluster::make_conflist(cfg_, subnet, mode_, int(ul.mtu), ul.ip.family(),
                                             ipam_data_dir_, pod_gso_max_size_));
  bool wrote = PODNET_TRY(write_if_changed(path_, j.dump(2) + "\n"));
  if (wrote)
    log::info(
        "conflist {} written (subnet {}, {} mode, MTU {}{})", path_, subnet.str(),
        mode_ == cluster::PodMode::bridge ? "bridge" : "ptp", j["plugins"][0].value("mtu", 0),
        j["plugins"][0]["ipam"].contains("routes")
            ? fmt::format(", {} off the node", j["plugins"][0]["ipam"]["routes"][0].value("mtu", 0))
            : "");
  // Once per write of the conflist: bridge mode without br_netfilter is said, not fixed.
  if (wrote)
    if (auto w = bridge_netfilter_warning(mode_, ::access("/proc/sys/net/bridge", F_OK) == 0))
      log::warn("{}", *w);
  written_ = true;
  return {};
}

}  // namespace podnet::agent
