#include "podnet/agent/masq_rules.hpp"

#include <fmt/format.h>

namespace podnet::agent {

namespace {
const char* family_name(net::Family f) {
  return f == net::Family::v4 ? "ip" : "ip6";
}
}  // namespace

std::string masq_ruleset(const net::Prefix& pod_subnet, const net::Prefix& cluster_cidr) {
  const char* fam = family_name(pod_subnet.family());
  const char* ip = pod_subnet.is_v4() ? "ip" : "ip6";
  const char* mcast = pod_subnet.is_v4() ? "224.0.0.0/4" : "ff00::/8";
  std::string pods = pod_subnet.masked().str();
  return fmt::format(
      "add table {0} {1}\n"
      "delete table {0} {1}\n"
      "table {0} {1} {{\n"
      "  chain postrouting {{\n"
      "    type nat hook postrouting priority srcnat; policy accept;\n"
      "    {2} saddr {3} {2} daddr {4} return\n"
      "    {2} saddr {3} {2} daddr {5} return\n"
      "    {2} saddr {3} masquerade\n"
      "  }}\n"
      "}}\n",
      fam, kMasqTable, ip, pods, cluster_cidr.masked().str(), mcast);
}

std::string masq_delete(net::Family f) {
  return fmt::format("add table {0} {1}\ndelete table {0} {1}\n", family_name(f), kMasqTable);
}

}  // namespace podnet::agent
