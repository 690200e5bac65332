#include "podnet/ipam/allocator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/ipam/errors.hpp"

namespace podnet::ipam {

using cni::CniError;
using cni::Code;

namespace {
std::string describe(const RangeSet& set, size_t index) {
  return fmt::format("range set {} ({}: {})", index, set.field, set.str());
}
}  // namespace

std::expected<cni::IpConfig, CniError> Allocator::get(
    std::string_view id, std::string_view ifname, const std::optional<net::IpAddress>& requested) {
  if (requested) {
    const Range* r = set_.range_for(*requested);
    if (!r || r->reserved_address(*requested))
      return cni_fail(Code::invalid_config,
                      fmt::format("requested address {} is not allocatable in {}", requested->str(),
                                  describe(set_, index_)));
    bool ok = PODNET_TRY(as_cni(store_.reserve(id, ifname, *requested, index_)));
    if (!ok)
      return cni_fail(kAddressInUse, fmt::format("requested address {} of {} is in use by another "
                                                 "container",
                                                 requested->str(), describe(set_, index_)));
    return cni::IpConfig{net::Prefix(*requested, r->subnet.length()), r->gateway, std::nullopt};
  }

  // A second ADD for the same attachment would leak the first address; refuse as host-local.
  const auto holdings = PODNET_TRY(as_cni(store_.get_by_id(id, ifname)));
  for (const auto& held : holdings)
    if (set_.contains(held))
      return cni_fail(kAlreadyAllocated,
                      fmt::format("container {} interface {} already holds {} in {}; DEL it "
                                  "first",
                                  id, ifname, held.str(), describe(set_, index_)));

  auto last = store_.last_reserved(index_);
  if (!last) log::warn("reading the last reserved address: {}", last.error().message);
  RangeIter it(set_, last ? *last : std::nullopt);
  while (auto c = it.next()) {
    bool ok = PODNET_TRY(as_cni(store_.reserve(id, ifname, c->ip, index_)));
    if (ok)
      return cni::IpConfig{net::Prefix(c->ip, c->range->subnet.length()), c->range->gateway,
                           std::nullopt};
  }
  return cni_fail(Code::ipam_exhausted,
                  fmt::format("no free address in {}", describe(set_, index_)));
}

std::expected<std::vector<cni::IpConfig>, CniError> allocate_all(const IpamConfig& conf,
                                                                 Store& store, std::string_view id,
                                                                 std::string_view ifname) {
  std::vector<cni::IpConfig> out;
  for (size_t i = 0; i < conf.range_sets.size(); ++i) {
    const auto& requested = i < conf.requested.size() ? conf.requested[i] : std::nullopt;
    auto ip = Allocator(conf.range_sets[i], i, store).get(id, ifname, requested);
    if (!ip) {
      for (const auto& done : out)
        if (auto r = store.release(done.address.address()); !r)
          log::warn("rolling back {}: {}", done.address.address().str(), r.error().message);
      return std::unexpected(ip.error());
    }
    out.push_back(*ip);
  }
  return out;
}

uint64_t free_count(const RangeSet& set, const std::vector<net::IpAddress>& reserved) {
  uint64_t total = set.allocatable_count();
  if (total == UINT64_MAX) return total;  // a huge IPv6 range never runs out
  std::vector<net::IpAddress> in_set;
  for (const auto& ip : reserved) {
    const Range* r = set.range_for(ip);
    if (r && !r->reserved_address(ip)) in_set.push_back(ip);
  }
  std::sort(in_set.begin(), in_set.end());
  uint64_t used = static_cast<uint64_t>(std::unique(in_set.begin(), in_set.end()) - in_set.begin());
  return used >= total ? 0 : total - used;
}

}  // namespace podnet::ipam
