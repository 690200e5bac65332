#include "node_entry.hpp"

#include <ctime>

#include "podnet/cluster/objects.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

using namespace std::chrono_literals;

namespace {
constexpr auto kHeartbeatEvery = 60s;  // status.heartbeat (peers ignore it)
}

NodeEntry::NodeEntry(store::Store& s, std::string node, StoreHealth& health)
    : store_(s), node_(std::move(node)), key_(cluster::node_key(node_)), health_(health) {}

bool NodeEntry::publish(const Facts& f) {
  cluster::Node n{.name = node_,
                  .internalIP = f.internal_ip,
                  .podCIDR = f.pod_cidr,
                  .vtepMAC = f.vtep_mac,
                  .heartbeat = int64_t(::time(nullptr))};
  if (auto r = store_.put(key_, cluster::to_json(n).dump(), f.lease); !r) {
    health_.failed(r.error(), "publish node");
    return false;
  }
  health_.ok();
  if (!published_)
    log::info("node entry {} published ({} via {})", key_, f.pod_cidr.str(), f.internal_ip.str());
  published_ = true;
  last_write_ = Clock::now();
  return true;
}

bool NodeEntry::due(Clock::time_point now) const {
  return !published_ || now - last_write_ >= kHeartbeatEvery;
}

}  // namespace podnet::agent
