#include "podnet/common/error.hpp"
#include "podnet/ipam/errors.hpp"
#include "podnet/ipam/flows.hpp"

namespace podnet::ipam::flows {

// Idempotent: an unknown container, or a network never used, is success. Only the store's
// location is parsed, so a DEL still frees addresses after the ranges were edited badly.
cni::CmdResult cmd_del(const cni::CmdArgs& a) {
  auto conf = PODNET_TRY(cni::parse_netconf(a.stdin_data));
  auto loc = PODNET_TRY(ipam::parse_location(conf));
  auto store = PODNET_TRY(open_store(loc, /*create=*/false));
  if (!store) return nlohmann::json();
  auto r = ipam::as_cni(store->release_by_id(a.env.container_id, a.env.ifname));
  if (!r) return finish(*store, std::unexpected(r.error()));
  return finish(*store, nlohmann::json());
}

}  // namespace podnet::ipam::flows
