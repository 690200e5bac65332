#pragma once
// The Service ruleset (pure). One podnet-owned table `ip podnet-svc`:
//  - dispatch by verdict maps: service-ips (daddr . l4proto . dport) and svc-nodeports
//    (l4proto . dport, only for local destinations), in nat prerouting and nat output;
//  - endpoint choice without a chain per service: all services with E endpoints share chain
//    pick-E, whose one rule DNATs through svc-endpoints keyed by
//    (daddr . l4proto . dport . numgen random mod E); NodePorts likewise (np-pick-E, npl-L-A);
//  - ClientIP affinity: a chain per affinity service and a dynamic set + chain per endpoint;
//  - masquerade by mark in nat postrouting, hairpin by the `hairpin` set (ep . ep);
//  - filter chains reject ports without endpoints and unknown ports on a ClusterIP, and drop
//    conntrack-invalid packets of service flows.
// Every element of a service is computed from (NodeInfo, Service) alone, so the applier keeps
// the services it applied, not their elements.
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/nft/element_batch.hpp"
#include "podnet/nft/set_elements.hpp"
#include "podnet/proxy/model.hpp"

namespace podnet::proxy {

inline constexpr std::string_view kTable = "podnet-svc";
inline constexpr uint16_t kFamilyIp = 2;  // NFPROTO_IPV4
inline constexpr uint32_t kMasqMark = 0x4000;

// Chain: a base chain when `hook` is set ("type nat hook prerouting priority dstnat; ...").
struct Chain {
  std::string name;
  std::string hook;
  std::vector<std::string> rules;
  friend bool operator==(const Chain&, const Chain&) = default;
};

// Set or map: `body` is what goes inside the braces of `add set|map`.
struct SetDef {
  std::string name;
  bool map = false;
  std::string body;
  friend bool operator==(const SetDef&, const SetDef&) = default;
};

// The fixed part, from the node alone: static maps/sets and base chains.
struct BasePlan {
  std::vector<SetDef> sets;  // static: flushed and refilled by a full sync
  std::vector<Chain> chains;
};
BasePlan plan_base(const NodeInfo& node);

// The static sets and maps of the table (plan_base); a planned element names its set by this.
enum class SetId : uint8_t {
  cluster_ips,
  service_ips,
  svc_nodeports,
  no_endpoints,
  np_no_endpoints,
  svc_endpoints,
  np_endpoints,
  np_local_eps,
  hairpin,
  endpoints,
};
const std::string& set_name(SetId id);

// One planned map/set element in the kernel's encoding, fixed size and without heap (keys are
// at most two IPv6 addresses, data an address and a port). Handed to an ElementSink, which
// encodes it into a batch, counts it or keeps it.
struct Element {
  SetId set = SetId::cluster_ips;
  uint8_t key_len = 0, data_len = 0;
  std::optional<int32_t> verdict;  // verdict maps
  std::string_view chain;          // goto target; valid only during the sink's call
  std::array<uint8_t, 40> key;
  std::array<uint8_t, 20> data;
  std::span<const uint8_t> key_bytes() const { return {key.data(), key_len}; }
  std::span<const uint8_t> data_bytes() const { return {data.data(), data_len}; }
  nft::ElementView view() const;
  nft::SetElement to_set_element() const;
};

// Receives a service's elements as they are planned (a full sync encodes them straight into
// its netlink batch; plan_service below collects them).
class ElementSink {
 public:
  virtual ~ElementSink() = default;
  virtual void own(const Element& e) = 0;     // this service's alone
  virtual void shared(const Element& e) = 0;  // may be wanted by several services (refcounted)
};

// What a service needs besides map elements.
struct ServiceObjects {
  std::vector<std::string> shared_chains;  // pick-E / np-pick-E / npl-L-A it jumps to
  std::vector<Chain> chains;               // its own (affinity) chains
  std::vector<SetDef> sets;                // its own (affinity) dynamic sets
  void clear() {
    shared_chains.clear();
    chains.clear();
    sets.clear();
  }
};
// Plans one service: elements to the sink, the rest appended to `objs`.
void plan_service(const NodeInfo& node, const Service& svc, ElementSink& sink,
                  ServiceObjects& objs);

// The part of one service as plain elements (partial syncs, inspect, tests).
struct ServicePlan {
  std::vector<nft::SetElement> elements;   // owned by this service alone
  std::vector<nft::SetElement> shared;     // may be wanted by several services (refcounted)
  std::vector<std::string> shared_chains;  // pick-E / np-pick-E / npl-L-A it jumps to
  std::vector<Chain> chains;               // its own (affinity) chains
  std::vector<SetDef> sets;                // its own (affinity) dynamic sets
};
ServicePlan plan_service(const NodeInfo& node, const Service& svc);

// The shared chain of that name (pick-E, np-pick-E, npl-L-A); empty name when unknown.
Chain shared_chain(const NodeInfo& node, std::string_view name);
// Shared pick chains made with the table (plan_base) and never removed: nft 1.0.6 cannot add a
// rule that looks up svc-endpoints/np-endpoints once those maps come back from the kernel (it
// re-evaluates their typeof data `ip daddr . th dport` and fails: "conflicting protocols
// specified: ip vs. th"), so chains created later in a partial sync would fail. Services with
// more endpoints than this take the full rebuild path once for each new count.
inline constexpr size_t kPrecreatedPicks = 64;  // pick-1..64, np-pick-1..64
inline constexpr size_t kPrecreatedLocal = 8;   // npl-L-A for A <= 8
bool precreated_chain(std::string_view name);

// nft text of an element as `nft list` prints it inside its map: "key : value".
std::string element_text(const nft::SetElement& e);

// nft commands creating/refreshing chains and sets (idempotent: add + flush + rules).
std::string add_commands(const std::vector<SetDef>& sets, const std::vector<Chain>& chains);
// nft commands deleting chains then sets (rules flushed first so chains may refer to each other).
std::string delete_commands(const std::vector<std::string>& chains,
                            const std::vector<std::string>& sets);

// Service identity and the names derived from it (nft identifiers).
std::string service_key(const Service& svc);                    // "ns/name"
std::string port_id(const Service& svc, const ServicePort& p);  // "ns/name/tcp/80"

}  // namespace podnet::proxy
