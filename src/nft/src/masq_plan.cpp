#include "podnet/nft/masq_plan.hpp"

#include <fmt/format.h>

#include "podnet/common/hash.hpp"

namespace podnet::nft {

namespace {
const char* fam(const net::IpAddress& a) { return a.is_v4() ? "v4" : "v6"; }

bool quotable(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) return false;
  return true;
}
}  // namespace

std::string network_tag_prefix(std::string_view network) {
  if (quotable(network, 48) && network.find('/') == std::string_view::npos)
    return fmt::format("{}/", network);
  return fmt::format("h{:016x}/", stable_hash64(network));
}

std::string attachment_tag(std::string_view network, std::string_view container_id,
                           std::string_view ifname) {
  std::string att = fmt::format("{}/{}", container_id, ifname);
  if (!quotable(att, 78)) att = fmt::format("h{:016x}", stable_hash64(att));
  return network_tag_prefix(network) + att;
}

std::string masq_base_commands() {
  return fmt::format(
      "add table inet {0}\n"
      "add set inet {0} masq-v4 {{ type ipv4_addr; }}\n"
      "add set inet {0} masq-v6 {{ type ipv6_addr; }}\n"
      "add set inet {0} own-net-v4 {{ type ipv4_addr . ipv4_addr; flags interval; }}\n"
      "add set inet {0} own-net-v6 {{ type ipv6_addr . ipv6_addr; flags interval; }}\n"
      "add chain inet {0} postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}\n"
      "flush chain inet {0} postrouting\n"
      "add rule inet {0} postrouting ip saddr . ip daddr @own-net-v4 return\n"
      "add rule inet {0} postrouting ip6 saddr . ip6 daddr @own-net-v6 return\n"
      "add rule inet {0} postrouting ip daddr 224.0.0.0/4 return\n"
      "add rule inet {0} postrouting ip6 daddr ff00::/8 return\n"
      "add rule inet {0} postrouting ip saddr @masq-v4 masquerade fully-random\n"
      "add rule inet {0} postrouting ip6 saddr @masq-v6 masquerade fully-random\n",
      kMasqTable);
}

namespace {
void append(std::vector<uint8_t>& out, const net::IpAddress& a) {
  out.insert(out.end(), a.data(), a.data() + a.byte_len());
}
}  // namespace

std::vector<SetElement> masq_elements(const std::vector<MasqEntry>& entries, std::string_view tag) {
  std::vector<SetElement> out;
  for (const auto& e : entries) {
    SetElement pod;
    pod.set = fmt::format("masq-{}", fam(e.pod));
    append(pod.key, e.pod);
    pod.comment = std::string(tag);
    out.push_back(std::move(pod));
    // "pod . subnet" in an interval set of a concatenation: the range runs from
    // pod . network to pod . last address.
    SetElement own;
    own.set = fmt::format("own-net-{}", fam(e.pod));
    append(own.key, e.pod);
    append(own.key, e.subnet.network());
    append(own.key_end, e.pod);
    append(own.key_end, e.subnet.last());
    own.comment = std::string(tag);
    out.push_back(std::move(own));
  }
  return out;
}

std::vector<std::string> masq_set_names() { return {"masq-v4", "masq-v6", "own-net-v4", "own-net-v6"}; }

}  // namespace podnet::nft
