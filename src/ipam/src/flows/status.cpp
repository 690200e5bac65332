#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/ipam/allocator.hpp"
#include "podnet/ipam/errors.hpp"
#include "podnet/ipam/flows.hpp"

namespace podnet::ipam::flows {

// Ready unless some range set has no free address (code 50: ADD would fail now).
cni::CmdResult cmd_status(const cni::CmdArgs& a) {
  auto conf = PODNET_TRY(cni::parse_netconf(a.stdin_data));
  auto ipam = PODNET_TRY(ipam::parse_ipam_config(conf, {}));
  auto store = PODNET_TRY(open_store(ipam.location, /*create=*/false));
  if (!store) return nlohmann::json();
  auto allocs = ipam::as_cni(store->list());
  if (!allocs) return finish(*store, std::unexpected(allocs.error()));
  std::vector<net::IpAddress> reserved;
  for (const auto& al : *allocs) reserved.push_back(al.ip);
  for (size_t i = 0; i < ipam.range_sets.size(); ++i) {
    const auto& set = ipam.range_sets[i];
    if (ipam::free_count(set, reserved) == 0)
      return finish(*store,
                    std::unexpected(cni::CniError(
                        cni::Code::plugin_not_available,
                        fmt::format("range set {} ({}: {}) has no free address: all {} in use", i,
                                    set.field, set.str(), set.allocatable_count()))));
  }
  return finish(*store, nlohmann::json());
}

}  // namespace podnet::ipam::flows
