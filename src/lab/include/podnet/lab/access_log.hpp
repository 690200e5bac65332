#pragma once
// The lab container's access log line, as `podnetctl logs POD` shows it:
//   2026-11-26T16:58:00Z 192.168.1.2:43210 "GET / HTTP/1.1" 200
// The peer is the address the container saw: pod-to-pod traffic keeps the pod's own source.
// Pure, and safe in a child forked from a threaded process (no allocation, no locks): the
// container formats into a buffer it owns.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace podnet::lab {

// Writes at most `cap` bytes (the line ends with '\n' when it fits; a request line longer than
// 200 bytes is cut, bytes outside printable ASCII become '?'); returns the length written.
size_t format_access_line(char* out, size_t cap, int64_t unix_seconds, uint32_t peer_ipv4,
                          uint16_t peer_port, std::string_view request_line, int status);

}  // namespace podnet::lab
