#pragma once
// GET from a podnetd's HTTP endpoint (/status, /readyz, /metrics) that listens inside a node's
// network namespace (the lab's podnetd listens on 127.0.0.1:9402 there). The TCP socket is
// opened in that namespace (sys::run_here_in, which brings the thread back at once); libcurl
// then speaks HTTP over it from wherever this thread is.
#include <chrono>
#include <string>
#include <string_view>

#include "podnet/agent/options.hpp"
#include "podnet/common/error.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::ctl {

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// Error when nothing answers in time (refused, timeout): "podnetd not answering on
// 127.0.0.1:9402 in /var/run/netns/podnet-lxb001: Couldn't connect to server".
Result<HttpAnswer> podnetd_get(const sys::Netns& ns, const agent::ListenAddr& addr,
                               std::string_view path, std::chrono::milliseconds timeout);

}  // namespace podnet::ctl
