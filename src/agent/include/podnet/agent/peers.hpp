#pragma once
// The store's node entries -> the peers this node routes to. Pure, no I/O: entries that would
// break the route plan (malformed, overlapping, missing VTEP MAC) are skipped here with a
// reason, so one bad entry never stops the others from being programmed.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/routes/plan.hpp"

namespace podnet::agent {

struct PeerSet {
  std::vector<routes::Peer> peers;   // accepted, in key order
  std::vector<std::string> skipped;  // malformed / conflicting entries, one reason each
  std::vector<std::string> refused;  // host-gw peers not on-link, one reason each
};

// A node entry's value parsed once, when it arrives from the store (the agent keeps these, so
// a reconcile does not parse every entry again: with 1000 nodes, heartbeats alone bring an
// event every few tens of milliseconds). Error "not valid JSON" or the parser's.
using NodeEntries = std::map<std::string, Result<cluster::Node>>;  // store key -> entry
Result<cluster::Node> parse_node_entry(std::string_view value);

// nodes: store key (/podnet/nodes/<name>) -> parsed entry. `self` is skipped; its pod_cidr,
// internal_ip and underlay_addrs are used for the overlap, family and on-link checks.
PeerSet peers_from_nodes(const NodeEntries& nodes, const routes::Self& self,
                         const cluster::ClusterConfig& cfg);

bool same_peer(const routes::Peer& a, const routes::Peer& b);
// Same peers in the same order (a reconcile that would program nothing new).
bool same_peers(const std::vector<routes::Peer>& a, const std::vector<routes::Peer>& b);

// Skip and refusal reasons are logged once while they last: update() returns the reasons of
// this PeerSet that the previous one did not have (a reason that went and came back is new).
class SkipLog {
 public:
  struct News {
    std::vector<std::string> skipped, refused;
  };
  News update(const PeerSet& ps);

 private:
  std::set<std::string> last_;
};
// What changed between two peer lists, for the log: "peer lxb002 added (192.168.1.0/24 via
// 10.1.1.16)", "peer lxb002 removed (192.168.1.0/24)", "peer lxb002 changed (...)". `initial`:
// the first reconcile of this process, whose peers are "present" (a restart adds nothing).
std::vector<std::string> peer_changes(const std::vector<routes::Peer>& before,
                                      const std::vector<routes::Peer>& after, bool initial = false);

// The node's events for what a reconcile programmed: RouteAdded "Route to node lxb002 added:
// 192.168.1.0/24 via 10.1.1.16", RouteChanged "... changed: A -> B", RouteRemoved "Route to
// node lxb002 removed: 192.168.1.0/24". A restart's first reconcile repeats its RouteAdded
// events, which the event store folds into their count.
struct PeerEvent {
  std::string reason, message;
  friend bool operator==(const PeerEvent&, const PeerEvent&) = default;
};
std::vector<PeerEvent> peer_route_events(const std::vector<routes::Peer>& before,
                                         const std::vector<routes::Peer>& after);

}  // namespace podnet::agent
