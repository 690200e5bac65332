#include <fmt/format.h>

#include "podnet/common/log.hpp"
#include "podnet/ipam/flows.hpp"

#include <cerrno>

namespace podnet::ipam::flows {

std::expected<std::optional<ipam::DiskStore>, cni::CniError> open_store(
    const ipam::StoreLocation& loc, bool create) {
  ipam::DiskStore::Options o;
  o.location = loc;
  o.create = create;
  auto s = ipam::DiskStore::open(o);
  if (!s && s.error().sys_errno == ETIMEDOUT)
    return std::unexpected(cni::CniError(cni::Code::try_again_later, s.error().message));
  if (!s)
    return std::unexpected(cni::CniError(
        cni::Code::io_failure, fmt::format("opening {}: {}", loc.dir(), s.error().message)));
  if (*s) {
    const auto& rep = (*s)->report();
    if (rep.reclaimed) log::info("reclaimed {} address(es) of earlier boots", rep.reclaimed);
    if (rep.reindexed) log::debug("{}: index rebuilt", loc.dir());
  }
  return std::move(*s);
}

cni::CmdResult finish(ipam::DiskStore& store, cni::CmdResult result) {
  if (auto r = store.finish(); !r) {
    log::warn("{}: {}", store.dir(), r.error().message);
    if (result)
      return std::unexpected(cni::CniError(cni::Code::io_failure,
                                           fmt::format("{}: {}", store.dir(), r.error().message)));
  }
  return result;
}

}  // namespace podnet::ipam::flows
