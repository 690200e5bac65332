#pragma once
// One netlink socket receiving the nftables trace events of several network namespaces in the
// order the kernel emitted them: it lives in a private namespace of its own where each traced
// namespace has an nsid, and listens with NETLINK_LISTEN_ALL_NSID (each message says which
// namespace sent it). One queue gives the packet's real path, also when it goes somewhere the
// caller did not expect; per-namespace sockets could only be read namespace by namespace.
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"
#include "trace_monitor.hpp"

namespace podnet::sys {
class Netns;
}

namespace podnet::probe {

class TraceCollector {
 public:
  static Result<TraceCollector> open(const std::vector<const sys::Netns*>& namespaces);
  int fd() const { return fd_.get(); }
  // Reads every queued message without blocking; each event with the index of its namespace.
  Result<> drain(std::vector<std::pair<size_t, RawTrace>>& out);

 private:
  explicit TraceCollector(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace podnet::probe
