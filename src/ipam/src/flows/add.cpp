#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/common/files.hpp"
#include "podnet/common/log.hpp"
#include "podnet/ipam/allocator.hpp"
#include "podnet/ipam/dns.hpp"
#include "podnet/ipam/flows.hpp"
#include "podnet/ipam/store_format.hpp"

namespace podnet::ipam::flows {

cni::CmdResult cmd_add(const cni::CmdArgs& a) {
  auto conf = PODNET_TRY(cni::parse_netconf(a.stdin_data));
  auto ipam = PODNET_TRY(ipam::parse_ipam_config(conf, a.env.args));
  const std::string& id = a.env.container_id;
  const std::string& ifname = a.env.ifname;
  if (!ipam::index_name(id, ifname))
    return std::unexpected(
        cni::CniError(cni::Code::invalid_env,
                      fmt::format("CNI_CONTAINERID and CNI_IFNAME together are too long ({} bytes)",
                                  id.size() + ifname.size())));
  cni::Result result;
  if (!ipam.resolv_conf.empty()) {
    // Bounded, and never a FIFO or device: the path is the config's word.
    auto text = read_file_bounded(ipam.resolv_conf, ipam::kMaxResolvConfBytes);
    if (!text)
      return std::unexpected(cni::CniError(
          cni::Code::io_failure, fmt::format("ipam.resolvConf: {}", text.error().message)));
    result.dns = ipam::parse_resolv_conf(*text);
  }
  auto store = PODNET_TRY(open_store(ipam.location, /*create=*/true));
  auto ips = ipam::allocate_all(ipam, *store, id, ifname);
  if (!ips) return finish(*store, std::unexpected(ips.error()));
  if (auto f = store->finish(); !f) {
    // Index not written: give the addresses back so a failed ADD leaves nothing behind.
    for (const auto& ip : *ips) (void)store->release(ip.address.address());
    return finish(*store, std::unexpected(cni::CniError(
                              cni::Code::io_failure,
                              fmt::format("{}: {}", store->dir(), f.error().message))));
  }
  result.ips = std::move(*ips);
  result.routes = ipam.routes;
  for (const auto& ip : result.ips) log::debug("allocated {}", ip.address.str());
  return cni::to_json(result, a.cni_version);
}

}  // namespace podnet::ipam::flows
