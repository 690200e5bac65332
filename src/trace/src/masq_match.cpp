// Masquerade rules as nft lists them: which rule of podnetd's postrouting chain a packet meets
// (match_masq) and the rule lines of a chain listing (chain_rules). Pure.
#include <sstream>

#include "podnet/trace/path.hpp"

namespace podnet::trace {
namespace {

// "192.168.1.0/24" or "192.168.1.5" (as /32)
std::optional<net::Prefix> parse_match(std::string_view s) {
  if (auto p = net::Prefix::parse(s)) return p->masked();
  if (auto a = net::IpAddress::parse(s)) return net::Prefix(*a, a->bits());
  return std::nullopt;
}

}  // namespace

std::optional<MasqMatch> match_masq(const std::vector<std::string>& rules,
                                    const net::IpAddress& src, const net::IpAddress& dst) {
  for (const auto& rule : rules) {
    std::istringstream in(rule);
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    bool ok = true, matches = true;
    std::string verdict;
    for (size_t i = 0; i < w.size() && ok; ++i) {
      if ((w[i] == "ip" || w[i] == "ip6") && i + 2 < w.size() &&
          (w[i + 1] == "saddr" || w[i + 1] == "daddr")) {
        const bool neg = w[i + 2] == "!=";
        const size_t vi = i + 2 + (neg ? 1 : 0);
        if (vi >= w.size()) {
          ok = false;
          break;
        }
        auto p = parse_match(w[vi]);
        if (!p) {
          ok = false;
          break;
        }
        const net::IpAddress& a = w[i + 1] == "saddr" ? src : dst;
        if (p->contains(a) == neg) matches = false;
        i = vi;
      } else if (w[i] == "counter") {
        i += 4;  // "counter packets N bytes M"
      } else if (w[i] == "return" || w[i] == "masquerade" || w[i] == "accept") {
        verdict = w[i];
        // "masquerade fully-random" and the like: options after the verdict.
        break;
      } else {
        ok = false;
      }
    }
    if (!ok || verdict.empty() || !matches) continue;
    return MasqMatch{rule, verdict == "masquerade"};
  }
  return std::nullopt;
}

std::vector<std::string> chain_rules(std::string_view listing) {
  std::vector<std::string> out;
  size_t start = 0;
  int depth = 0;
  while (start < listing.size()) {
    size_t nl = listing.find('\n', start);
    if (nl == std::string_view::npos) nl = listing.size();
    std::string_view line = listing.substr(start, nl - start);
    start = nl + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.ends_with("{")) {
      ++depth;
      continue;
    }
    if (line == "}") {
      --depth;
      continue;
    }
    if (depth >= 2 && !line.starts_with("type ") && !line.starts_with("policy ")) {
      // nft appends "# handle N" with -a; drop such comments.
      if (auto h = line.find(" # "); h != std::string_view::npos) line = line.substr(0, h);
      out.emplace_back(line);
    }
  }
  return out;
}

}  // namespace podnet::trace
