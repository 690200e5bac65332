#include "kube_proxy_layouts.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace podnet::bench {
namespace {

// base32(sha256(text)) (RFC 4648 alphabet, as Go's base32.StdEncoding), first `len` chars.
std::string hash32(const std::string& text, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(text.data(), text.size(), md, &md_len, EVP_sha256(), nullptr);
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned int i = 0; i < md_len && out.size() < len; ++i) {
    buf = (buf << 8) | md[i];
    bits += 8;
    while (bits >= 5 && out.size() < len) {
      out += alphabet[(buf >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

// kube-proxy's ServicePortName.String(): "ns/name:port-name".
std::string port_name(const BenchService& s) {
  return s.ns + "/" + s.name + ":http";
}
std::string ep_text(const SvcEndpoint& e) {
  return fmt::format("{}:{}", ip_text(e.ip), e.port);
}

using Out = std::back_insert_iterator<std::string>;

// The KUBE-SVC chain and its KUBE-SEP chains (rules only; chain lines written by the caller).
void iptables_service_rules(Out o, const BenchService& s) {
  std::string svc = kube_svc_chain(s), pn = port_name(s), cip = ip_text(s.cluster_ip);
  fmt::format_to(o,
                 "-A {} -m comment --comment \"{} cluster IP\" -m tcp -p tcp -d {}/32 --dport {} "
                 "! -s {} -j KUBE-MARK-MASQ\n",
                 svc, pn, cip, s.port, kClusterCidr);
  size_t n = s.endpoints.size();
  for (size_t i = 0; i < n; ++i) {
    const auto& e = s.endpoints[i];
    std::string sep = kube_sep_chain(s, e);
    if (i + 1 < n)
      fmt::format_to(o,
                     "-A {} -m comment --comment \"{} -> {}\" -m statistic --mode random "
                     "--probability {:.10f} -j {}\n",
                     svc, pn, ep_text(e), 1.0 / static_cast<double>(n - i), sep);
    else
      fmt::format_to(o, "-A {} -m comment --comment \"{} -> {}\" -j {}\n", svc, pn, ep_text(e),
                     sep);
  }
  for (const auto& e : s.endpoints) {
    std::string sep = kube_sep_chain(s, e);
    fmt::format_to(o, "-A {} -m comment --comment {} -s {}/32 -j KUBE-MARK-MASQ\n", sep, pn,
                   ip_text(e.ip));
    fmt::format_to(o, "-A {} -m comment --comment {} -m tcp -p tcp -j DNAT --to-destination {}\n",
                   sep, pn, ep_text(e));
  }
}

// filter table as kube-proxy writes it every sync (no service lacks endpoints here, so its
// KUBE-SERVICES reject rules are empty).
void iptables_filter(Out o) {
  fmt::format_to(o,
                 "*filter\n:KUBE-NODEPORTS - [0:0]\n:KUBE-SERVICES - [0:0]\n"
                 ":KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FIREWALL - [0:0]\n"
                 ":KUBE-FORWARD - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n"
                 "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n"
                 "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark "
                 "--mark 0x4000/0x4000 -j ACCEPT\n"
                 "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m "
                 "conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                 "COMMIT\n");
}

// nat top-level chains: always declared (flushed) and written in full.
void iptables_nat_top(Out o) {
  fmt::format_to(o,
                 ":KUBE-NODEPORTS - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n"
                 ":KUBE-POSTROUTING - [0:0]\n");
}

void iptables_nat_top_rules(Out o, const std::vector<BenchService>& svcs) {
  fmt::format_to(o,
                 "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
                 "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n"
                 "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring "
                 "SNAT\" -j MASQUERADE --random-fully\n"
                 "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n");
  for (const auto& s : svcs)
    fmt::format_to(o,
                   "-A KUBE-SERVICES -m comment --comment \"{} cluster IP\" -m tcp -p tcp -d "
                   "{}/32 --dport {} -j {}\n",
                   port_name(s), ip_text(s.cluster_ip), s.port, kube_svc_chain(s));
  fmt::format_to(o,
                 "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this "
                 "must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j "
                 "KUBE-NODEPORTS\n");
}

constexpr const char* kT = "ip kube-proxy";

void nft_service(Out o, const BenchService& s, bool flush) {
  std::string svc = nft_service_chain(s);
  fmt::format_to(o, "add chain {} {}\n", kT, svc);
  if (flush) fmt::format_to(o, "flush chain {} {}\n", kT, svc);
  fmt::format_to(o,
                 "add rule {} {} ip daddr {} tcp dport {} ip saddr != {} jump "
                 "mark-for-masquerade\n",
                 kT, svc, ip_text(s.cluster_ip), s.port, kClusterCidr);
  std::string vmap;
  for (size_t i = 0; i < s.endpoints.size(); ++i) {
    const auto& e = s.endpoints[i];
    std::string ch = nft_endpoint_chain(s, e);
    fmt::format_to(o, "add chain {} {}\n", kT, ch);
    if (flush) fmt::format_to(o, "flush chain {} {}\n", kT, ch);
    fmt::format_to(o, "add rule {} {} ip saddr {} jump mark-for-masquerade\n", kT, ch,
                   ip_text(e.ip));
    fmt::format_to(o, "add rule {} {} meta l4proto tcp dnat to {}\n", kT, ch, ep_text(e));
    vmap += fmt::format("{}{} : goto {}", i ? " , " : "", i, ch);
  }
  fmt::format_to(o, "add rule {} {} numgen random mod {} vmap {{ {} }}\n", kT, svc,
                 s.endpoints.size(), vmap);
}

}  // namespace

std::string kube_svc_chain(const BenchService& s) {
  return "KUBE-SVC-" + hash32(port_name(s) + "tcp", 16);
}
std::string kube_sep_chain(const BenchService& s, const SvcEndpoint& ep) {
  return "KUBE-SEP-" + hash32(port_name(s) + "tcp" + ep_text(ep), 16);
}
std::string nft_service_chain(const BenchService& s) {
  std::string base = s.ns + "/" + s.name + "/tcp/http";
  return "service-" + hash32(base, 8) + "-" + base;
}
std::string nft_endpoint_chain(const BenchService& s, const SvcEndpoint& ep) {
  std::string base = fmt::format("{}/{}/tcp/http__{}/{}", s.ns, s.name, ip_text(ep.ip), ep.port);
  return "endpoint-" + hash32(base, 8) + "-" + base;
}

std::string iptables_setup() {
  return "*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n:KUBE-NODEPORTS - [0:0]\n"
         ":KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FIREWALL - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n"
         "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer "
         "firewall\" -j KUBE-PROXY-FIREWALL\n"
         "-A INPUT -m comment --comment \"kubernetes health check service ports\" -j "
         "KUBE-NODEPORTS\n"
         "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally "
         "visible service portals\" -j KUBE-EXTERNAL-SERVICES\n"
         "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n"
         "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service "
         "portals\" -j KUBE-SERVICES\n"
         "-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service "
         "portals\" -j KUBE-SERVICES\n"
         "COMMIT\n"
         "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n"
         "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
         "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
         "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j "
         "KUBE-POSTROUTING\n"
         "COMMIT\n";
}

std::string iptables_full(const std::vector<BenchService>& svcs) {
  std::string s;
  s.reserve(svcs.size() * 1200 + 4096);
  Out o(s);
  iptables_filter(o);
  fmt::format_to(o, "*nat\n");
  iptables_nat_top(o);
  for (const auto& v : svcs) {
    fmt::format_to(o, ":{} - [0:0]\n", kube_svc_chain(v));
    for (const auto& e : v.endpoints) fmt::format_to(o, ":{} - [0:0]\n", kube_sep_chain(v, e));
  }
  iptables_nat_top_rules(o, svcs);
  for (const auto& v : svcs) iptables_service_rules(o, v);
  fmt::format_to(o, "COMMIT\n");
  return s;
}

std::string iptables_partial(const std::vector<BenchService>& svcs, size_t changed,
                             const std::vector<SvcEndpoint>& old_eps) {
  const BenchService& c = svcs.at(changed);
  std::vector<std::string> stale;
  for (const auto& e : old_eps) {
    bool kept = false;
    for (const auto& n : c.endpoints) kept = kept || (n.ip == e.ip && n.port == e.port);
    if (!kept) stale.push_back(kube_sep_chain(c, e));
  }
  std::string s;
  s.reserve(svcs.size() * 200 + 4096);
  Out o(s);
  iptables_filter(o);
  fmt::format_to(o, "*nat\n");
  iptables_nat_top(o);
  fmt::format_to(o, ":{} - [0:0]\n", kube_svc_chain(c));
  for (const auto& e : c.endpoints) fmt::format_to(o, ":{} - [0:0]\n", kube_sep_chain(c, e));
  for (const auto& st : stale) fmt::format_to(o, ":{} - [0:0]\n", st);
  iptables_nat_top_rules(o, svcs);
  iptables_service_rules(o, c);
  for (const auto& st : stale) fmt::format_to(o, "-X {}\n", st);
  fmt::format_to(o, "COMMIT\n");
  return s;
}

std::string nft_full(const std::vector<BenchService>& svcs) {
  std::string s;
  s.reserve(svcs.size() * 1500 + 8192);
  Out o(s);
  fmt::format_to(o, "add table {} {{ comment \"rules for kube-proxy\" ; }}\n", kT);
  for (const char* m : {"firewall-ips", "no-endpoint-services", "service-ips"})
    fmt::format_to(
        o, "add map {} {} {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}\n", kT, m);
  fmt::format_to(
      o, "add map {} service-nodeports {{ type inet_proto . inet_service : verdict ; }}\n", kT);
  fmt::format_to(o, "add set {} cluster-ips {{ type ipv4_addr ; }}\n", kT);
  const char* chains[][2] = {{"filter-prerouting", "type filter hook prerouting priority -110 ;"},
                             {"filter-input", "type filter hook input priority -110 ;"},
                             {"filter-forward", "type filter hook forward priority -110 ;"},
                             {"filter-output", "type filter hook output priority -110 ;"},
                             {"filter-output-post-dnat", "type filter hook output priority -90 ;"},
                             {"nat-prerouting", "type nat hook prerouting priority -100 ;"},
                             {"nat-output", "type nat hook output priority -100 ;"},
                             {"nat-postrouting", "type nat hook postrouting priority 100 ;"},
                             {"mark-for-masquerade", ""},
                             {"masquerading", ""},
                             {"services", ""},
                             {"firewall-check", ""},
                             {"service-endpoints-check", ""},
                             {"cluster-ips-check", ""},
                             {"nodeport-endpoints-check", ""}};
  for (auto& c : chains)
    fmt::format_to(o, "add chain {} {}{}\n", kT, c[0],
                   *c[1] ? fmt::format(" {{ {} }}", c[1]) : std::string());
  fmt::format_to(
      o,
      "add rule {0} filter-prerouting ct state new jump firewall-check\n"
      "add rule {0} filter-input ct state new jump nodeport-endpoints-check\n"
      "add rule {0} filter-input ct state new jump service-endpoints-check\n"
      "add rule {0} filter-forward ct state new jump service-endpoints-check\n"
      "add rule {0} filter-forward ct state new jump cluster-ips-check\n"
      "add rule {0} filter-output ct state new jump service-endpoints-check\n"
      "add rule {0} filter-output ct state new jump cluster-ips-check\n"
      "add rule {0} filter-output-post-dnat ct state new jump firewall-check\n"
      "add rule {0} nat-prerouting jump services\n"
      "add rule {0} nat-output jump services\n"
      "add rule {0} nat-postrouting jump masquerading\n"
      "add rule {0} mark-for-masquerade mark set mark or 0x4000\n"
      "add rule {0} masquerading mark and 0x4000 == 0 return\n"
      "add rule {0} masquerading mark set mark xor 0x4000\n"
      "add rule {0} masquerading masquerade fully-random\n"
      "add rule {0} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips\n"
      "add rule {0} service-endpoints-check ip daddr . meta l4proto . th dport vmap "
      "@no-endpoint-services\n"
      "add rule {0} cluster-ips-check ip daddr @cluster-ips reject comment \"Reject traffic to "
      "invalid ports of ClusterIPs\"\n"
      "add rule {0} cluster-ips-check ip daddr {1} drop comment \"Drop traffic to unallocated "
      "ClusterIPs\"\n"
      "add rule {0} services ip daddr . meta l4proto . th dport vmap @service-ips\n"
      "add rule {0} services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport "
      "vmap @service-nodeports\n",
      kT, kServiceCidr);
  for (const auto& v : svcs) nft_service(o, v, false);
  for (const auto& v : svcs) {
    fmt::format_to(o, "add element {} service-ips {{ {} . tcp . {} : goto {} }}\n", kT,
                   ip_text(v.cluster_ip), v.port, nft_service_chain(v));
    fmt::format_to(o, "add element {} cluster-ips {{ {} }}\n", kT, ip_text(v.cluster_ip));
  }
  return s;
}

std::string nft_partial(const BenchService& c, const std::vector<SvcEndpoint>& old_eps) {
  std::string s;
  Out o(s);
  nft_service(o, c, true);
  for (const auto& e : old_eps) {
    bool kept = false;
    for (const auto& n : c.endpoints) kept = kept || (n.ip == e.ip && n.port == e.port);
    if (kept) continue;
    std::string ch = nft_endpoint_chain(c, e);
    fmt::format_to(o, "flush chain {} {}\ndelete chain {} {}\n", kT, ch, kT, ch);
  }
  return s;
}

std::string nft_floor(const std::vector<BenchService>& svcs) {
  std::string s;
  s.reserve(svcs.size() * 120 + 1024);
  Out o(s);
  fmt::format_to(
      o,
      "add table ip pnfloor\n"
      "add chain ip pnfloor pick2\n"
      "add map ip pnfloor svc {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}\n"
      "add map ip pnfloor ep {{ type ipv4_addr . inet_service . mark : ipv4_addr . "
      "inet_service ; }}\n");
  constexpr size_t chunk = 1000;
  for (size_t b = 0; b < svcs.size(); b += chunk) {
    fmt::format_to(o, "add element ip pnfloor svc {{ ");
    for (size_t i = b; i < std::min(svcs.size(), b + chunk); ++i)
      fmt::format_to(o, "{}{} . tcp . {} : goto pick2", i > b ? ", " : "",
                     ip_text(svcs[i].cluster_ip), svcs[i].port);
    fmt::format_to(o, " }}\nadd element ip pnfloor ep {{ ");
    for (size_t i = b; i < std::min(svcs.size(), b + chunk); ++i)
      for (size_t k = 0; k < svcs[i].endpoints.size(); ++k)
        fmt::format_to(o, "{}{} . {} . {} : {} . {}", i > b || k ? ", " : "",
                       ip_text(svcs[i].cluster_ip), svcs[i].port, k,
                       ip_text(svcs[i].endpoints[k].ip), svcs[i].endpoints[k].port);
    fmt::format_to(o, " }}\n");
  }
  return s;
}

}  // namespace podnet::bench
