#include "podnet/ipam/dns.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace podnet::ipam {

namespace {
std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t b = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > b) out.emplace_back(line.substr(b, i - b));
  }
  return out;
}
}  // namespace

cni::Dns parse_resolv_conf(std::string_view text) {
  cni::Dns dns;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto f = fields(line);
    if (f.size() < 2 || f[0][0] == '#' || f[0][0] == ';') continue;
    if (f[0] == "nameserver")
      dns.nameservers.push_back(f[1]);
    else if (f[0] == "domain")
      dns.domain = f[1];
    else if (f[0] == "search")
      dns.search.insert(dns.search.end(), f.begin() + 1, f.end());
    else if (f[0] == "options")
      dns.options.insert(dns.options.end(), f.begin() + 1, f.end());
  }
  return dns;
}

}  // namespace podnet::ipam
