#include "podnet/cluster/service_alloc.hpp"

#include <algorithm>

namespace podnet::cluster {

uint64_t alloc_seed(std::string_view ns, std::string_view name, uint64_t salt) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(ns);
  mix("/");
  mix(name);
  // A retry should land far from the last try: splitmix64 of hash + salt.
  uint64_t z = h + salt * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Take OffsetPool::take(uint64_t off) {
  if (off >= size_) return Take::out_of_range;
  return taken_.insert(off).second ? Take::ok : Take::taken;
}

std::optional<uint64_t> OffsetPool::allocate(uint64_t seed) {
  if (size_ == 0 || taken_.size() >= size_) return std::nullopt;
  uint64_t off = seed % size_;
  // Linear probing: the pool is not full, so this ends within size_ steps.
  while (taken_.contains(off)) off = off + 1 == size_ ? 0 : off + 1;
  taken_.insert(off);
  return off;
}

namespace {
constexpr uint64_t kMaxV6Span = uint64_t(1) << 24;

uint64_t usable_count(const net::Prefix& cidr) {
  uint64_t n = cidr.size();
  if (cidr.is_v4()) return n > 2 ? n - 2 : 0;      // not network, not broadcast
  return std::min(n > 1 ? n - 1 : 0, kMaxV6Span);  // not the subnet-router anycast address
}
}  // namespace

ClusterIpPool::ClusterIpPool(const net::Prefix& serviceCIDR)
    : cidr_(serviceCIDR.masked()), pool_(usable_count(serviceCIDR.masked())) {}

std::optional<uint64_t> ClusterIpPool::offset(const net::IpAddress& ip) const {
  if (ip.family() != cidr_.family() || !cidr_.contains(ip)) return std::nullopt;
  uint64_t d = net::IpAddress::distance(cidr_.network(), ip);
  if (d == 0 || d - 1 >= pool_.size()) return std::nullopt;
  return d - 1;
}

bool ClusterIpPool::usable(const net::IpAddress& ip) const {
  return offset(ip).has_value();
}

bool ClusterIpPool::taken(const net::IpAddress& ip) const {
  auto o = offset(ip);
  return o && pool_.taken(*o);
}

Take ClusterIpPool::take(const net::IpAddress& ip) {
  auto o = offset(ip);
  return o ? pool_.take(*o) : Take::out_of_range;
}

void ClusterIpPool::release(const net::IpAddress& ip) {
  if (auto o = offset(ip)) pool_.release(*o);
}

std::optional<net::IpAddress> ClusterIpPool::allocate(uint64_t seed) {
  auto o = pool_.allocate(seed);
  if (!o) return std::nullopt;
  return cidr_.network().plus(*o + 1);
}

NodePortPool::NodePortPool(PortRange range)
    : range_(range), pool_(range.max >= range.min ? uint64_t(range.max - range.min) + 1 : 0) {}

Take NodePortPool::take(uint16_t port) {
  if (!usable(port)) return Take::out_of_range;
  return pool_.take(port - range_.min);
}

void NodePortPool::release(uint16_t port) {
  if (usable(port)) pool_.release(port - range_.min);
}

std::optional<uint16_t> NodePortPool::allocate(uint64_t seed) {
  auto o = pool_.allocate(seed);
  if (!o) return std::nullopt;
  return uint16_t(range_.min + *o);
}

Result<> validate_service(const Service& s, const ClusterConfig& c) {
  PODNET_TRY_VOID(validate(s));
  if (s.clusterIP) {
    ClusterIpPool pool(c.serviceCIDR);
    const net::Prefix cidr = c.serviceCIDR.masked();
    if (!cidr.contains(*s.clusterIP) || s.clusterIP->family() != cidr.family())
      return fail(fmt::format("spec.clusterIP: {} is outside the service CIDR {}",
                              s.clusterIP->str(), cidr.str()));
    if (!pool.usable(*s.clusterIP))
      return fail(fmt::format(
          "spec.clusterIP: {} is the {} address of the service CIDR {}", s.clusterIP->str(),
          *s.clusterIP == cidr.network() ? "network" : "broadcast", cidr.str()));
  }
  for (size_t i = 0; i < s.ports.size(); ++i) {
    uint16_t np = s.ports[i].nodePort;
    if (np && (np < c.nodePortRange.min || np > c.nodePortRange.max))
      return fail(fmt::format("spec.ports[{}].nodePort: {} is outside the NodePort range {}-{}", i,
                              np, c.nodePortRange.min, c.nodePortRange.max));
  }
  return {};
}

}  // namespace podnet::cluster
