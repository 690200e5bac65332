// podnetd --leave: the node goes away for good. Its subnet lease and node entry leave the store
// (the other agents drop their routes to it on the delete events), then its own routes, VTEP,
// masquerade table and conflist go.
#include <unistd.h>

#include <fmt/format.h>

#include "agent_lock.hpp"
#include "node_io.hpp"
#include "podnet/agent/agent.hpp"
#include "podnet/agent/local_state.hpp"
#include "podnet/agent/masq_rules.hpp"
#include "podnet/proxy/proxier.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/log.hpp"
#include "podnet/routes/manager.hpp"
#include "podnet/store/store.hpp"

namespace podnet::agent {

namespace {
Result<> leave_store(store::Store& s, const Options& o) {
  auto listing = PODNET_TRY(s.list(cluster::subnets_prefix));
  std::vector<RawEntry> raw;
  for (auto& kv : listing.items)
    raw.push_back({std::move(kv.key), std::move(kv.value), kv.mod_revision, kv.lease});
  for (const auto& e : parse_leases(raw).leases) {
    if (e.lease.node != o.node) continue;
    // Revoking the lease deletes the node entry written with it too.
    if (e.lease_id) PODNET_TRY_VOID(s.revoke(e.lease_id));
    PODNET_TRY(s.del(e.key));
    log::info("subnet {} given back", e.lease.cidr.str());
  }
  if (PODNET_TRY(s.del(cluster::node_key(o.node))))
    log::info("node entry {} removed", cluster::node_key(o.node));
  return {};
}
}  // namespace

int run_leave(const Options& o) {
  auto lock = AgentLock::take_over(o.state_dir, 10000);
  if (!lock) {
    log::error("{}", lock.error().message);
    return 1;
  }
  auto st = store::open_store(o.store_url);
  if (!st) {
    log::error("--store: {}", st.error().message);
    return 2;
  }
  int rc = 0;
  if (auto r = leave_store(**st, o); !r) {
    log::error("leave: store {}: {}", (*st)->describe(), r.error().message);
    rc = 1;
  }
  auto nl = sys::Netlink::open();
  if (!nl) {
    log::error("netlink: {}", nl.error().message);
    return 1;
  }
  // An empty plan: every podnet route (proto 80), neighbour, FDB entry and VTEP goes.
  routes::RouteManager rm(*nl);
  if (auto r = rm.apply(routes::WantedState{}); !r) {
    log::error("leave: remove routes: {}", r.error().message);
    rc = 1;
  } else {
    log::info("removed {} routes, neighbours, FDB entries and VTEPs", r->removed);
  }
  if (auto r = run_nft(masq_delete(net::Family::v4) + masq_delete(net::Family::v6)); !r) {
    log::error("leave: {}", r.error().message);
    rc = 1;
  }
  auto removed = [] -> Result<> { return PODNET_TRY(proxy::Proxier::open()).remove_all(); }();
  if (!removed) {
    log::error("leave: remove the service rules: {}", removed.error().message);
    rc = 1;
  }
  for (std::string path : {o.cni_conf_dir + "/" + std::string(kConflistName),
                           o.state_dir + "/" + std::string(kSubnetFile)}) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      log::error("leave: remove {}: {}", path, std::strerror(errno));
      rc = 1;
    }
  }
  if (rc == 0) log::info("node {} left the cluster", o.node);
  return rc;
}

}  // namespace podnet::agent
