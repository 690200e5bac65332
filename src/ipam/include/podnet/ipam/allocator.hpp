#pragma once
// host-local's allocation order over a Store: the requested address if any, else round
// robin from the address after the last reserved one. Pure (all I/O behind Store).
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "podnet/cni/error.hpp"
#include "podnet/cni/result.hpp"
#include "podnet/ipam/config.hpp"
#include "podnet/ipam/range.hpp"
#include "podnet/ipam/store.hpp"

namespace podnet::ipam {

class Allocator {
 public:
  Allocator(const RangeSet& set, size_t index, Store& store)
      : set_(set), index_(index), store_(store) {}

  // One address of this range set for id/ifname. Errors: 7 requested address outside the
  // set or not allocatable, 104 requested address held by someone else, 105 id/ifname
  // already holds an address of the set, 101 none free, 5 storage.
  std::expected<cni::IpConfig, cni::CniError> get(std::string_view id, std::string_view ifname,
                                                  const std::optional<net::IpAddress>& requested);

 private:
  const RangeSet& set_;
  size_t index_;
  Store& store_;
};

// One address from every range set (host-local's ADD). On failure releases exactly the
// addresses this call reserved, so earlier holdings of id/ifname stay untouched.
std::expected<std::vector<cni::IpConfig>, cni::CniError> allocate_all(const IpamConfig& conf,
                                                                      Store& store,
                                                                      std::string_view id,
                                                                      std::string_view ifname);

// Addresses of `set` still free given the reserved addresses (saturating). STATUS uses it.
uint64_t free_count(const RangeSet& set, const std::vector<net::IpAddress>& reserved);

}  // namespace podnet::ipam
