#include "iperf.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/testing/netns_fixture.hpp"

namespace podnet::bench {

IperfRun iperf(const std::string& client_netns, const std::string& server_ip,
               const std::string& options) {
  std::string out;
  int rc = podnet::testing::sh(
      fmt::format("ip netns exec {} iperf3 -J -c {} {}", client_netns, server_ip, options), &out);
  IperfRun r;
  auto j = nlohmann::json::parse(out.substr(std::min(out.find('{'), out.size())), nullptr, false);
  if (j.is_discarded() || !j.contains("end") || j.contains("error")) {
    r.error = fmt::format("iperf3 -> {} (exit {}): {}", server_ip, rc,
                          j.is_discarded() ? out : j.value("error", out));
    return r;
  }
  r.gbps = j["end"]["sum_received"].value("bits_per_second", 0.0) / 1e9;
  r.retransmits = j["end"]["sum_sent"].value("retransmits", 0L);
  const auto& cpu = j["end"]["cpu_utilization_percent"];
  r.cpu = (cpu.value("host_total", 0.0) + cpu.value("remote_total", 0.0)) / 100;
  return r;
}

}  // namespace podnet::bench
