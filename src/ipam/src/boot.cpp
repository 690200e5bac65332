#include "podnet/ipam/boot.hpp"

namespace podnet::ipam {

BootAction decide_boot(const std::optional<std::string>& recorded, std::string_view current,
                       bool podnet_only) {
  if (!recorded) return BootAction::adopt;
  if (*recorded == current) return BootAction::keep;
  return podnet_only ? BootAction::reclaim_all : BootAction::reclaim_older;
}

bool reclaim_record(BootAction action, int64_t ctime_ns, int64_t boot_time_ns) {
  switch (action) {
    case BootAction::reclaim_all:
      return true;
    case BootAction::reclaim_older:
      return ctime_ns < boot_time_ns;
    case BootAction::keep:
    case BootAction::adopt:
      return false;
  }
  return false;
}

}  // namespace podnet::ipam
