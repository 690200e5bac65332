#include "podnet/ipam/gc.hpp"

#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/ipam/errors.hpp"
#include "podnet/ipam/flows.hpp"

namespace podnet::ipam::flows {

// Frees every address of this network not held by a valid attachment (also unreadable
// records and records without an index), then rebuilds the index. A walk, which is fine
// for GC.
cni::CmdResult cmd_gc(const cni::CmdArgs& a) {
  auto conf = PODNET_TRY(cni::parse_netconf(a.stdin_data));
  auto loc = PODNET_TRY(ipam::parse_location(conf));
  auto valid = PODNET_TRY(ipam::parse_valid_attachments(conf.raw));
  auto store = PODNET_TRY(open_store(loc, /*create=*/false));
  if (!store) return nlohmann::json();
  auto run = [&]() -> cni::CmdResult {
    auto allocs = PODNET_TRY(ipam::as_cni(store->list()));
    auto victims = ipam::select_for_gc(allocs, valid);
    for (const auto& ip : victims) {
      PODNET_TRY(ipam::as_cni(store->release(ip)));
      log::info("GC: released {}", ip.str());
    }
    PODNET_TRY(ipam::as_cni(store->reindex()));
    return nlohmann::json();
  };
  return finish(*store, run());
}

}  // namespace podnet::ipam::flows
