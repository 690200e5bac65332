#include <algorithm>

#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/ipam/errors.hpp"
#include "podnet/ipam/flows.hpp"

namespace podnet::ipam::flows {

namespace {

using cni::CniError;
using cni::Code;

std::string owner_text(const std::optional<ipam::Owner>& o) {
  if (!o) return "an unreadable record";
  return o->legacy ? fmt::format("container {}", o->id)
                   : fmt::format("container {} interface {}", o->id, o->ifname);
}

// prevResult's addresses in this plugin's ranges must be exactly the reserved ones, with the
// subnet's prefix length.
std::expected<void, CniError> compare_prev(const ipam::IpamConfig& conf, const cni::Result& prev,
                                           const std::vector<net::IpAddress>& reserved,
                                           const std::string& who) {
  auto mine = [&](const net::IpAddress& ip) -> const ipam::Range* {
    for (const auto& set : conf.range_sets)
      for (const auto& r : set.ranges)
        if (r.subnet.contains(ip)) return &r;
    return nullptr;
  };
  std::vector<net::IpAddress> seen;
  for (size_t i = 0; i < prev.ips.size(); ++i) {
    const auto& p = prev.ips[i].address;
    const bool held = std::find(reserved.begin(), reserved.end(), p.address()) != reserved.end();
    const ipam::Range* r = mine(p.address());
    if (!held && !r) continue;  // another IPAM's address
    if (!held)
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("prevResult.ips[{}]: {} is not reserved for {}", i, p.address().str(), who)));
    if (r && p.length() != r->subnet.length())
      return std::unexpected(
          CniError(Code::invalid_config,
                   fmt::format("prevResult.ips[{}].address: {} but {} has prefix length {}", i,
                               p.str(), r->subnet.str(), r->subnet.length())));
    seen.push_back(p.address());
  }
  for (const auto& ip : reserved)
    if (std::find(seen.begin(), seen.end(), ip) == seen.end())
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("prevResult.ips: reserved address {} of {} is missing", ip.str(), who)));
  return {};
}

}  // namespace

// The reservation exists (index and address files agree) and, given prevResult, matches it.
// Codes: 3 no reservation, 5 index and address files disagree, 7 prevResult differs.
cni::CmdResult cmd_check(const cni::CmdArgs& a) {
  auto conf = PODNET_TRY(cni::parse_netconf(a.stdin_data));
  auto ipam = PODNET_TRY(ipam::parse_ipam_config(conf, a.env.args));
  const std::string who =
      fmt::format("container {} interface {}", a.env.container_id, a.env.ifname);
  auto unknown = [&] {
    return std::unexpected(CniError(
        Code::unknown_container,
        fmt::format("no address reserved for {} in network {}", who, ipam.location.network)));
  };
  auto store = PODNET_TRY(open_store(ipam.location, /*create=*/false));
  if (!store) return unknown();
  auto run = [&]() -> cni::CmdResult {
    auto held = PODNET_TRY(ipam::as_cni(store->inspect(a.env.container_id, a.env.ifname)));
    if (!held) return unknown();
    std::vector<net::IpAddress> reserved;
    for (const auto& e : *held) {
      std::string file = fmt::format("{}/{}", store->dir(), e.ip.str());
      if (e.state == ipam::DiskStore::Held::file_missing)
        return std::unexpected(
            CniError(Code::io_failure,
                     fmt::format("reservation of {} drifted: the index lists {} but {} is missing",
                                 who, e.ip.str(), file)));
      if (e.state == ipam::DiskStore::Held::other_owner)
        return std::unexpected(CniError(
            Code::io_failure, fmt::format("reservation of {} drifted: the index lists {} but {} "
                                          "belongs to {}",
                                          who, e.ip.str(), file, owner_text(e.actual))));
      reserved.push_back(e.ip);
    }
    if (conf.prev_result) PODNET_TRY(compare_prev(ipam, *conf.prev_result, reserved, who));
    return nlohmann::json();
  };
  return finish(*store, run());
}

}  // namespace podnet::ipam::flows
