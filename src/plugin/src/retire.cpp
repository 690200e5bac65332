#include "podnet/plugin/retire.hpp"

#include "detached_delete.hpp"

#include <random>

#include <fmt/format.h>

#include "podnet/common/log.hpp"
#include "podnet/plugin/step_timer.hpp"

namespace podnet::plugin {

namespace {

std::string retired_name() {
  std::random_device rd;
  uint64_t r = (uint64_t{rd()} << 32) | rd();
  return fmt::format("{}{:012x}", kRetiredPrefix, r & 0xffffffffffffull);
}

Result<> take_down_and_rename(sys::Netlink& nl, int index, const std::string& to) {
  PODNET_TRY_VOID(nl.set_up(index, false));
  return nl.rename(index, to);
}

}  // namespace

Result<bool> retire_pair(sys::Netlink& host, const std::string& host_veth, const sys::Netns* podns,
                         const std::string& ifname, HostEnd host_end) {
  StepTimer timer;
  auto info = host.link_info(host_veth);
  timer.mark("lookup");
  if (!info) {
    if (info.error().sys_errno == ENODEV) return false;
    return fail(info.error());
  }
  // The pod end first: a re-ADD into the same netns must find its ifname free.
  if (podns) {
    auto pod = sys::Netlink::open_in(*podns);
    if (pod) {
      auto pl = pod->link_info(ifname);
      if (pl && pl->kind == "veth" && pl->link == info->index) {
        if (auto r = take_down_and_rename(*pod, pl->index, retired_name()); !r)
          log::warn("retire {} in {}: {}", ifname, podns->path(), r.error().message);
      }
    }
    timer.mark("pod-end");
  }
  std::string retired = retired_name();
  const bool live = host_end == HostEnd::rename_live;
  auto renamed =
      live ? host.rename(info->index, retired) : take_down_and_rename(host, info->index, retired);
  // A live rename answers EBUSY on kernels before 6.2: then down first, as for take_down.
  if (live && !renamed && renamed.error().sys_errno == EBUSY)
    renamed = take_down_and_rename(host, info->index, retired);
  timer.mark("host-end");
  if (!renamed) {
    log::warn("retire {}: {}; deleting now", host_veth, renamed.error().message);
    auto d = host.delete_link(info->index);
    if (!d) return fail(d.error());
    return true;
  }
  if (!delete_link_detached(info->index)) {
    auto d = host.delete_link(info->index);
    if (!d) return fail(d.error());
  }
  timer.mark("detach");
  return true;
}

Result<int> remove_retired_links(sys::Netlink& host) {
  auto links = PODNET_TRY(host.list_links());
  int n = 0;
  for (const auto& l : links) {
    if (!l.name.starts_with(kRetiredPrefix)) continue;
    auto d = host.delete_link(l.index);
    if (!d) return fail(d.error());
    n += *d ? 1 : 0;
  }
  return n;
}

}  // namespace podnet::plugin
