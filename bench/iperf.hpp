#pragma once
// One iperf3 TCP run from a network namespace, read from iperf3's JSON report.
#include <string>

namespace podnet::bench {

struct IperfRun {
  double gbps = 0;  // received by the server
  long retransmits = 0;
  // CPU time of client and server as a share of one CPU (1.0 = a whole CPU). The kernel here
  // charges softirq work to the task it interrupts (no IRQ time accounting), so with both ends
  // on one CPU this covers the path's packet processing too.
  double cpu = 0;
  std::string error;  // empty on success
};

// `options` go to the client unchanged (duration, -A affinity, ...): every path of a benchmark
// gets the same ones, so pinning and run length never favour the baseline.
IperfRun iperf(const std::string& client_netns, const std::string& server_ip,
               const std::string& options);

}  // namespace podnet::bench
