#pragma once
// Choosing Service clusterIPs and nodePorts (pure, no I/O). A pool knows the range and what is
// taken; allocate(seed) probes from a start derived from the seed (hash of "<ns>/<name>"), so
// allocators in different processes, working on different services, start far apart and rarely
// pick the same value. The store layer makes the choice atomic (src/svcstore); a pool only
// chooses. Also the checks of a Service against the cluster config.
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cluster {

// FNV-1a of "<ns>/<name>" mixed with `salt` (a retry counter): a stable, spread-out start.
uint64_t alloc_seed(std::string_view ns, std::string_view name, uint64_t salt = 0);

enum class Take { ok, taken, out_of_range };

// Offsets 0..size-1 with a taken set; probing is linear from the start, wrapping.
class OffsetPool {
 public:
  explicit OffsetPool(uint64_t size) : size_(size) {}
  uint64_t size() const { return size_; }
  uint64_t used() const { return taken_.size(); }
  bool taken(uint64_t off) const { return taken_.contains(off); }
  Take take(uint64_t off);
  void release(uint64_t off) { taken_.erase(off); }
  // The first free offset at or after seed % size (wrapping), marked taken; nullopt when full.
  std::optional<uint64_t> allocate(uint64_t seed);

 private:
  uint64_t size_;
  std::unordered_set<uint64_t> taken_;
};

// ClusterIPs: every address of the service CIDR but its first (network) and, for IPv4, its
// last (broadcast). IPv6 CIDRs are capped at their first 2^24 addresses.
class ClusterIpPool {
 public:
  explicit ClusterIpPool(const net::Prefix& serviceCIDR);
  const net::Prefix& cidr() const { return cidr_; }
  bool usable(const net::IpAddress& ip) const;  // inside and not network/broadcast
  uint64_t size() const { return pool_.size(); }
  uint64_t used() const { return pool_.used(); }
  bool taken(const net::IpAddress& ip) const;
  Take take(const net::IpAddress& ip);
  void release(const net::IpAddress& ip);
  std::optional<net::IpAddress> allocate(uint64_t seed);

 private:
  std::optional<uint64_t> offset(const net::IpAddress& ip) const;
  net::Prefix cidr_;
  OffsetPool pool_;
};

// NodePorts in the cluster's nodePortRange (min..max inclusive). A port number is taken
// whatever its protocol (Kubernetes' rule; one Service may use one nodePort for TCP and UDP).
class NodePortPool {
 public:
  explicit NodePortPool(PortRange range);
  const PortRange& range() const { return range_; }
  bool usable(uint16_t port) const { return port >= range_.min && port <= range_.max; }
  uint64_t size() const { return pool_.size(); }
  uint64_t used() const { return pool_.used(); }
  bool taken(uint16_t port) const { return usable(port) && pool_.taken(port - range_.min); }
  Take take(uint16_t port);
  void release(uint16_t port);
  std::optional<uint16_t> allocate(uint64_t seed);

 private:
  PortRange range_;
  OffsetPool pool_;
};

// A Service against the cluster config (after validate(s)): clusterIP, when set, inside
// serviceCIDR and not its network/broadcast address; nodePorts inside nodePortRange. One line
// naming the field: "spec.clusterIP: 10.0.0.1 is outside the service CIDR 10.96.0.0/12".
Result<> validate_service(const Service& s, const ClusterConfig& c);

}  // namespace podnet::cluster
