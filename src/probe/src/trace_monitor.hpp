#pragma once
// A netlink socket subscribed to NFNLGRP_NFTRACE in one network namespace: the nftables trace
// events of that namespace, as raw values (interfaces as indexes, headers as bytes).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::sys {
class Netns;
}

namespace podnet::probe {

struct RawTrace {
  uint32_t id = 0;
  uint32_t type = 0;    // NFT_TRACETYPE_*
  uint8_t family = 0;   // NFPROTO_* of the table
  uint8_t nfproto = 0;  // the packet's (inet tables see IPv4 and IPv6)
  std::string table, chain, jump_target;
  uint64_t rule_handle = 0;
  int32_t verdict = 0;  // NF_* or NFT_* code
  bool has_verdict = false;
  uint32_t iif = 0, oif = 0;
  std::vector<uint8_t> network, transport;
};

// Reads every message queued on a trace socket without blocking and hands over the trace events
// of each with the nsid of the namespace that sent it (-1 without NETLINK_LISTEN_ALL_NSID).
Result<> drain_trace_socket(int fd, const std::function<void(std::vector<RawTrace>&&, int)>& take);

class TraceMonitor {
 public:
  // Opens the socket inside ns (on a short-lived thread; the socket stays bound to ns).
  static Result<TraceMonitor> open_in(const sys::Netns& ns);
  // Opens it in the calling thread's namespace.
  static Result<TraceMonitor> open_here();
  int fd() const { return fd_.get(); }
  // Reads every queued message without blocking, appending the trace events.
  Result<> drain(std::vector<RawTrace>& out);

 private:
  explicit TraceMonitor(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace podnet::probe
