#pragma once
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "podnet/proxy/plan.hpp"

namespace podnet::proxy::test {

inline net::IpAddress ip(const char* s) {
  return *net::IpAddress::parse(s);
}
inline NodeInfo node() {
  return NodeInfo{*net::Prefix::parse("192.168.0.0/16"), *net::Prefix::parse("10.96.0.0/12")};
}

inline Service web(std::vector<Endpoint> eps, uint16_t node_port = 0,
                   Protocol proto = Protocol::tcp) {
  Service s;
  s.ns = "default";
  s.name = "web";
  s.cluster_ip = ip("10.96.0.10");
  s.ports.push_back(ServicePort{"http", proto, 80, node_port, std::move(eps)});
  return s;
}

// "set: text" lines, sorted, for exact comparison.
inline std::multiset<std::string> lines(const std::vector<nft::SetElement>& es) {
  std::multiset<std::string> out;
  for (const auto& e : es) out.insert(e.set + ": " + element_text(e));
  return out;
}

}  // namespace podnet::proxy::test
