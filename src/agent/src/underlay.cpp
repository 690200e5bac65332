#include "podnet/agent/underlay.hpp"

#include <fmt/format.h>

namespace podnet::agent {

namespace {
std::string prefixes(const std::vector<net::Prefix>& v) {
  std::string s;
  for (const auto& p : v) s += (s.empty() ? "" : " ") + p.str();
  return s.empty() ? "none" : s;
}
}  // namespace

std::string underlay_change(const Underlay& before, const Underlay& after) {
  std::vector<std::string> parts;
  if (before.ifindex != after.ifindex)
    parts.push_back(fmt::format("ifindex {} -> {} (re-created)", before.ifindex, after.ifindex));
  if (before.mtu != after.mtu) parts.push_back(fmt::format("MTU {} -> {}", before.mtu, after.mtu));
  if (before.ip != after.ip)
    parts.push_back(fmt::format("node address {} -> {}", before.ip.str(), after.ip.str()));
  if (before.addrs != after.addrs)
    parts.push_back(
        fmt::format("addresses {} -> {}", prefixes(before.addrs), prefixes(after.addrs)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace podnet::agent
