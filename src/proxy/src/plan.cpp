#include "podnet/proxy/plan.hpp"

#include <fmt/format.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

namespace podnet::proxy {

namespace {

// Address-family words of the planner: the same layout serves ip6 by changing these.
struct L3 {
  const char* nfproto;  // "ip" / "ip6"
  const char* type;     // "ipv4_addr" / "ipv6_addr"
};
L3 l3_of(const NodeInfo& node) {
  return node.service_cidr.is_v4() ? L3{"ip", "ipv4_addr"} : L3{"ip6", "ipv6_addr"};
}

const char* proto_name(Protocol p) {
  switch (p) {
    case Protocol::tcp:
      return "tcp";
    case Protocol::udp:
      return "udp";
    case Protocol::sctp:
      return "sctp";
  }
  return "?";
}

// Kernel encoding of concatenations: each field padded to 4 bytes, written in place in the
// element's fixed buffers.
void put_ip(uint8_t* b, uint8_t& n, const net::IpAddress& a) {
  std::memcpy(b + n, a.data(), a.byte_len());
  n = static_cast<uint8_t>(n + a.byte_len());
}
void put_proto(uint8_t* b, uint8_t& n, Protocol p) {
  uint8_t f[4] = {static_cast<uint8_t>(p), 0, 0, 0};
  std::memcpy(b + n, f, 4);
  n = static_cast<uint8_t>(n + 4);
}
void put_port(uint8_t* b, uint8_t& n, uint16_t port) {
  uint8_t f[4] = {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff), 0, 0};
  std::memcpy(b + n, f, 4);
  n = static_cast<uint8_t>(n + 4);
}
// numgen yields a host-order 32-bit register.
void put_index(uint8_t* b, uint8_t& n, uint32_t i) {
  std::memcpy(b + n, &i, 4);
  n = static_cast<uint8_t>(n + 4);
}

// nft identifiers: letters, digits and "/._-"; anything else becomes '_'.
std::string ident(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
          c == '-'))
      c = '_';
  return out;
}

// Endpoints in order without duplicates; copies only when the input is not that already.
const std::vector<Endpoint>& sorted(const std::vector<Endpoint>& eps,
                                    std::vector<Endpoint>& storage) {
  if (std::adjacent_find(eps.begin(), eps.end(), [](const Endpoint& x, const Endpoint& y) {
        return !(x < y);
      }) == eps.end())
    return eps;
  storage = eps;
  std::sort(storage.begin(), storage.end());
  storage.erase(std::unique(storage.begin(), storage.end()), storage.end());
  return storage;
}
// Named for every service port: plain concatenation is cheaper than formatting.
std::string pick_chain(size_t e) {
  return "pick-" + std::to_string(e);
}
std::string np_pick_chain(size_t e) {
  return "np-pick-" + std::to_string(e);
}
std::string npl_chain(size_t l, size_t a) {
  return "npl-" + std::to_string(l) + "-" + std::to_string(a);
}

std::string aff_set(const std::string& id, const Endpoint& e, uint32_t timeout) {
  return fmt::format("affs-{}/{}/{}/{}", id, e.ip.str(), e.port, timeout);
}
std::string aff_ep_chain(const std::string& id, const Endpoint& e) {
  return fmt::format("affe-{}/{}/{}", id, e.ip.str(), e.port);
}

// Affinity selection: a client seen recently goes to its endpoint, others pick at random
// (the endpoint chain records the client).
std::vector<std::string> affinity_rules(const std::string& id, const std::vector<Endpoint>& eps,
                                        uint32_t timeout, const char* nfproto) {
  std::vector<std::string> rules;
  for (const auto& e : eps)
    rules.push_back(
        fmt::format("{} saddr @{} goto {}", nfproto, aff_set(id, e, timeout), aff_ep_chain(id, e)));
  std::string vmap;
  for (size_t i = 0; i < eps.size(); ++i)
    vmap += fmt::format("{}{} : goto {}", i ? ", " : "", i, aff_ep_chain(id, eps[i]));
  rules.push_back(fmt::format("numgen random mod {} vmap {{ {} }}", eps.size(), vmap));
  return rules;
}

}  // namespace

std::string service_key(const Service& svc) {
  return svc.ns + "/" + svc.name;
}

std::string port_id(const Service& svc, const ServicePort& p) {
  return ident(fmt::format("{}/{}/{}/{}", svc.ns, svc.name, proto_name(p.protocol), p.port));
}

BasePlan plan_base(const NodeInfo& node) {
  L3 f = l3_of(node);
  BasePlan b;
  auto set = [&](std::string name, bool map, std::string body) {
    b.sets.push_back(SetDef{std::move(name), map, std::move(body)});
  };
  set("cluster-ips", false, fmt::format("type {};", f.type));
  set("service-ips", true, fmt::format("type {} . inet_proto . inet_service : verdict;", f.type));
  set("svc-nodeports", true, "type inet_proto . inet_service : verdict;");
  set("no-endpoints", true, fmt::format("type {} . inet_proto . inet_service : verdict;", f.type));
  set("np-no-endpoints", true, "type inet_proto . inet_service : verdict;");
  set("svc-endpoints", true,
      fmt::format("typeof {0} daddr . meta l4proto . th dport . numgen random mod 1 : {0} daddr . "
                  "th dport;",
                  f.nfproto));
  set("np-endpoints", true,
      fmt::format("typeof meta l4proto . th dport . numgen random mod 1 : {} daddr . th dport;",
                  f.nfproto));
  set("np-local-eps", true,
      fmt::format("typeof meta l4proto . th dport . numgen random mod 1 : {} daddr . th dport;",
                  f.nfproto));
  set("hairpin", false, fmt::format("typeof {0} saddr . {0} daddr;", f.nfproto));
  set("endpoints", false, fmt::format("typeof {} saddr . meta l4proto . th sport;", f.nfproto));

  std::string mark = fmt::format("0x{:08x}", kMasqMark);
  auto chain = [&](std::string name, std::string hook, std::vector<std::string> rules) {
    b.chains.push_back(Chain{std::move(name), std::move(hook), std::move(rules)});
  };
  // Regular chains first: base chains jump to them.
  chain("mark-for-masquerade", "", {fmt::format("meta mark set meta mark | {}", mark)});
  chain("services", "",
        {fmt::format("{} daddr . meta l4proto . th dport vmap @service-ips", f.nfproto),
         "fib daddr type local meta l4proto . th dport vmap @svc-nodeports"});
  chain("reject-service", "", {"meta l4proto tcp reject with tcp reset", "reject"});
  chain("service-checks", "",
        {fmt::format("{} daddr . meta l4proto . th dport vmap @no-endpoints", f.nfproto),
         fmt::format("{} daddr @cluster-ips meta l4proto tcp reject with tcp reset", f.nfproto),
         fmt::format("{} daddr @cluster-ips reject", f.nfproto),
         // An address of the service CIDR that no Service holds: dropped, as kube-proxy does,
         // so it never leaves the node towards the default route.
         fmt::format("{} daddr {} drop", f.nfproto, node.service_cidr.str())});
  chain("nodeport-checks", "",
        {"fib daddr type local meta l4proto . th dport vmap @np-no-endpoints"});
  chain("nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;",
        {"jump services"});
  chain("nat-output", "type nat hook output priority -100; policy accept;", {"jump services"});
  chain("nat-postrouting", "type nat hook postrouting priority srcnat; policy accept;",
        {fmt::format(
             "meta mark & {0} == {0} meta mark set meta mark & 0x{1:08x} masquerade fully-random",
             mark, ~kMasqMark),
         fmt::format("ct status dnat {0} saddr . {0} daddr @hairpin masquerade fully-random",
                     f.nfproto)});
  // Only service flows: the invalid packets that would make a client reset its connection.
  chain("filter-forward", "type filter hook forward priority filter; policy accept;",
        {fmt::format("ct state invalid {} daddr @cluster-ips drop", f.nfproto),
         fmt::format("ct state invalid {} saddr . meta l4proto . th sport @endpoints drop",
                     f.nfproto),
         "jump service-checks", "jump nodeport-checks"});
  chain("filter-input", "type filter hook input priority filter; policy accept;",
        {"jump nodeport-checks"});
  chain("filter-output", "type filter hook output priority filter; policy accept;",
        {"jump service-checks"});
  for (size_t e = 1; e <= kPrecreatedPicks; ++e) {
    b.chains.push_back(shared_chain(node, pick_chain(e)));
    b.chains.push_back(shared_chain(node, np_pick_chain(e)));
  }
  for (size_t a = 1; a <= kPrecreatedLocal; ++a)
    for (size_t l = 0; l <= a; ++l) b.chains.push_back(shared_chain(node, npl_chain(l, a)));
  return b;
}

bool precreated_chain(std::string_view name) {
  unsigned a = 0, l = 0;
  const std::string n(name);
  if (std::sscanf(n.c_str(), "pick-%u", &a) == 1 && name == pick_chain(a))
    return a >= 1 && a <= kPrecreatedPicks;
  if (std::sscanf(n.c_str(), "np-pick-%u", &a) == 1 && name == np_pick_chain(a))
    return a >= 1 && a <= kPrecreatedPicks;
  if (std::sscanf(n.c_str(), "npl-%u-%u", &l, &a) == 2 && name == npl_chain(l, a))
    return a >= 1 && a <= kPrecreatedLocal && l <= a;
  return false;
}

Chain shared_chain(const NodeInfo& node, std::string_view name) {
  L3 f = l3_of(node);
  std::string cidr = node.cluster_cidr.masked().str();
  unsigned a = 0, l = 0;
  if (std::sscanf(std::string(name).c_str(), "pick-%u", &a) == 1 && name == pick_chain(a))
    return Chain{std::string(name),
                 "",
                 {fmt::format("{} saddr != {} jump mark-for-masquerade", f.nfproto, cidr),
                  fmt::format("dnat {0} to {0} daddr . meta l4proto . th dport . numgen random mod "
                              "{1} map @svc-endpoints",
                              f.nfproto, a)}};
  if (std::sscanf(std::string(name).c_str(), "np-pick-%u", &a) == 1 && name == np_pick_chain(a))
    return Chain{
        std::string(name),
        "",
        {"jump mark-for-masquerade",
         fmt::format("dnat {} to meta l4proto . th dport . numgen random mod {} map @np-endpoints",
                     f.nfproto, a)}};
  if (std::sscanf(std::string(name).c_str(), "npl-%u-%u", &l, &a) == 2 && name == npl_chain(l, a)) {
    // Clients inside the cluster or on the node are served like policy Cluster.
    Chain c{std::string(name),
            "",
            {fmt::format("{} saddr {} goto {}", f.nfproto, cidr, np_pick_chain(a)),
             fmt::format("fib saddr type local goto {}", np_pick_chain(a))}};
    c.rules.push_back(l == 0 ? std::string("drop")
                             : fmt::format("dnat {} to meta l4proto . th dport . numgen random mod "
                                           "{} map @np-local-eps",
                                           f.nfproto, l));
    return c;
  }
  return {};
}

const std::string& set_name(SetId id) {
  static const std::string names[] = {
      "cluster-ips",   "service-ips",  "svc-nodeports", "no-endpoints", "np-no-endpoints",
      "svc-endpoints", "np-endpoints", "np-local-eps",  "hairpin",      "endpoints"};
  return names[static_cast<size_t>(id)];
}

nft::ElementView Element::view() const {
  return nft::ElementView{key_bytes(), {}, data_bytes(), verdict, chain, {}};
}

nft::SetElement Element::to_set_element() const {
  nft::SetElement e;
  e.set = set_name(set);
  e.key.assign(key.data(), key.data() + key_len);
  e.data.assign(data.data(), data.data() + data_len);
  e.verdict = verdict;
  e.chain = chain;
  return e;
}

namespace {
// Collects a service's elements as plain SetElements (plan_service's plain form).
struct Collect final : ElementSink {
  ServicePlan& out;
  explicit Collect(ServicePlan& p) : out(p) {}
  void own(const Element& e) override { out.elements.push_back(e.to_set_element()); }
  void shared(const Element& e) override { out.shared.push_back(e.to_set_element()); }
};
}  // namespace

ServicePlan plan_service(const NodeInfo& node, const Service& svc) {
  ServicePlan out;
  Collect sink(out);
  ServiceObjects objs;
  plan_service(node, svc, sink, objs);
  out.shared_chains = std::move(objs.shared_chains);
  out.chains = std::move(objs.chains);
  out.sets = std::move(objs.sets);
  return out;
}

void plan_service(const NodeInfo& node, const Service& svc, ElementSink& sink,
                  ServiceObjects& out) {
  L3 f = l3_of(node);
  const bool affinity = svc.affinity_timeout > 0;
  // Text only affinity chains need: formatting it for every service costs more than the rest.
  const std::string cidr = affinity ? node.cluster_cidr.masked().str() : std::string();
  Element e;
  auto start = [&](SetId set) {
    e.set = set;
    e.key_len = e.data_len = 0;
    e.verdict.reset();
    e.chain = {};
  };
  start(SetId::cluster_ips);
  put_ip(e.key.data(), e.key_len, svc.cluster_ip);
  sink.own(e);

  auto add_shared_chain = [&](std::string name) {
    if (std::find(out.shared_chains.begin(), out.shared_chains.end(), name) ==
        out.shared_chains.end())
      out.shared_chains.push_back(std::move(name));
  };
  std::vector<Endpoint> sorted_storage;
  for (const auto& p : svc.ports) {
    const std::vector<Endpoint>& all = sorted(p.endpoints, sorted_storage);
    size_t n_local = 0;
    for (const auto& ep : all) n_local += ep.local ? 1 : 0;
    const size_t n_internal = svc.internal_local ? n_local : all.size();
    const std::string id = affinity ? port_id(svc, p) : std::string();

    // ClusterIP (or external IP) . proto . port and proto . NodePort: the dispatch keys and the
    // endpoint maps' key prefixes.
    const net::IpAddress* dst = &svc.cluster_ip;
    auto cip_key = [&] {
      put_ip(e.key.data(), e.key_len, *dst);
      put_proto(e.key.data(), e.key_len, p.protocol);
      put_port(e.key.data(), e.key_len, p.port);
    };
    auto np_key = [&] {
      put_proto(e.key.data(), e.key_len, p.protocol);
      put_port(e.key.data(), e.key_len, p.node_port);
    };
    auto verdict = [&](SetId set, int32_t v, std::string_view chain, bool nodeport) {
      start(set);
      nodeport ? np_key() : cip_key();
      e.verdict = v;
      e.chain = chain;
      sink.own(e);
    };
    // Endpoint map elements: key prefix . index : address . port, for every endpoint (or only
    // the local ones) in order.
    auto endpoint_map = [&](SetId set, bool nodeport, bool only_local) {
      uint32_t i = 0;
      for (const auto& ep : all) {
        if (only_local && !ep.local) continue;
        start(set);
        nodeport ? np_key() : cip_key();
        put_index(e.key.data(), e.key_len, i++);
        put_ip(e.data.data(), e.data_len, ep.ip);
        put_port(e.data.data(), e.data_len, ep.port);
        sink.own(e);
      }
    };
    auto selected = [&](bool only_local) {
      std::vector<Endpoint> out;
      for (const auto& ep : all)
        if (!only_local || ep.local) out.push_back(ep);
      return out;
    };

    // Endpoint bookkeeping shared across services: hairpin and invalid-drop sets.
    for (const auto& ep : all) {
      start(SetId::endpoints);
      put_ip(e.key.data(), e.key_len, ep.ip);
      put_proto(e.key.data(), e.key_len, p.protocol);
      put_port(e.key.data(), e.key_len, ep.port);
      sink.shared(e);
      if (ep.local) {
        start(SetId::hairpin);
        put_ip(e.key.data(), e.key_len, ep.ip);
        put_ip(e.key.data(), e.key_len, ep.ip);
        sink.shared(e);
      }
    }

    if (affinity && !all.empty()) {
      for (const auto& ep : all) {
        out.sets.push_back(
            SetDef{aff_set(id, ep, svc.affinity_timeout), false,
                   fmt::format("typeof {} saddr; flags dynamic,timeout; timeout {}s;", f.nfproto,
                               svc.affinity_timeout)});
        out.chains.push_back(
            Chain{aff_ep_chain(id, ep),
                  "",
                  {fmt::format("update @{} {{ {} saddr }}", aff_set(id, ep, svc.affinity_timeout),
                               f.nfproto),
                   fmt::format("meta l4proto {} dnat {} to {}", proto_name(p.protocol), f.nfproto,
                               ep.ip.is_v4() ? fmt::format("{}:{}", ep.ip.str(), ep.port)
                                             : fmt::format("[{}]:{}", ep.ip.str(), ep.port))}});
      }
    }

    // ClusterIP, then each external IP: the same dispatch keyed by that address, with every
    // endpoint (internalTrafficPolicy is the ClusterIP's alone).
    for (size_t x = 0; x <= svc.external_ips.size(); ++x) {
      const bool external = x > 0;
      dst = external ? &svc.external_ips[x - 1] : &svc.cluster_ip;
      const bool only_local = !external && svc.internal_local;
      const size_t n = external ? all.size() : n_internal;
      if (all.empty()) {
        verdict(SetId::no_endpoints, NFT_GOTO, "reject-service", false);
      } else if (n == 0) {
        // internalTrafficPolicy Local without a local endpoint.
        verdict(SetId::service_ips, NF_DROP, {}, false);
      } else if (affinity) {
        // One chain per endpoint selection: the ClusterIP's, and the external IPs' when
        // internalTrafficPolicy Local makes those differ.
        const std::string name = (external && svc.internal_local ? "affx-" : "aff-") + id;
        if (std::none_of(out.chains.begin(), out.chains.end(),
                         [&](const Chain& c) { return c.name == name; })) {
          Chain c{name, "", {fmt::format("{} saddr != {} jump mark-for-masquerade", f.nfproto, cidr)}};
          for (auto& r : affinity_rules(id, selected(only_local), svc.affinity_timeout, f.nfproto))
            c.rules.push_back(std::move(r));
          out.chains.push_back(std::move(c));
        }
        verdict(SetId::service_ips, NFT_GOTO, name, false);
      } else {
        std::string pick = pick_chain(n);
        verdict(SetId::service_ips, NFT_GOTO, pick, false);
        endpoint_map(SetId::svc_endpoints, false, only_local);
        add_shared_chain(std::move(pick));
      }
    }
    dst = &svc.cluster_ip;

    // NodePort.
    if (p.node_port == 0) continue;
    if (all.empty()) {
      verdict(SetId::np_no_endpoints, NFT_GOTO, "reject-service", true);
      continue;
    }
    if (affinity && !svc.external_local) {
      Chain c{"affn-" + id, "", {"jump mark-for-masquerade"}};
      for (auto& r : affinity_rules(id, all, svc.affinity_timeout, f.nfproto))
        c.rules.push_back(std::move(r));
      verdict(SetId::svc_nodeports, NFT_GOTO, c.name, true);
      out.chains.push_back(std::move(c));
      continue;
    }
    std::string target =
        svc.external_local ? npl_chain(n_local, all.size()) : np_pick_chain(all.size());
    verdict(SetId::svc_nodeports, NFT_GOTO, target, true);
    add_shared_chain(std::move(target));
    if (svc.external_local) add_shared_chain(np_pick_chain(all.size()));
    endpoint_map(SetId::np_endpoints, true, false);
    if (svc.external_local) endpoint_map(SetId::np_local_eps, true, true);
  }
}

namespace {
enum class F { ip, proto, port, index };

std::string field_text(F f, const uint8_t*& p, const uint8_t* end, size_t ip_len) {
  auto need = [&](size_t n) { return static_cast<size_t>(end - p) >= n; };
  switch (f) {
    case F::ip: {
      if (!need(ip_len)) return "?";
      auto a = net::IpAddress::from_bytes(ip_len == 4 ? net::Family::v4 : net::Family::v6, p);
      p += ip_len;
      return a.str();
    }
    case F::proto: {
      if (!need(4)) return "?";
      uint8_t v = *p;
      p += 4;
      if (v == 6) return "tcp";
      if (v == 17) return "udp";
      if (v == 132) return "sctp";
      return std::to_string(v);
    }
    case F::port: {
      if (!need(4)) return "?";
      unsigned v = (p[0] << 8) | p[1];
      p += 4;
      return std::to_string(v);
    }
    case F::index: {
      if (!need(4)) return "?";
      uint32_t v;
      std::memcpy(&v, p, 4);
      p += 4;
      return std::to_string(v);
    }
  }
  return "?";
}

std::string fields_text(const std::vector<F>& fs, const std::vector<uint8_t>& bytes,
                        size_t ip_len) {
  std::string out;
  const uint8_t* p = bytes.data();
  for (size_t i = 0; i < fs.size(); ++i) {
    if (i) out += " . ";
    out += field_text(fs[i], p, bytes.data() + bytes.size(), ip_len);
  }
  return out;
}
}  // namespace

std::string element_text(const nft::SetElement& e) {
  const std::string& s = e.set;
  std::vector<F> key;
  std::vector<F> data;
  if (s == "cluster-ips")
    key = {F::ip};
  else if (s == "service-ips" || s == "no-endpoints")
    key = {F::ip, F::proto, F::port};
  else if (s == "svc-nodeports" || s == "np-no-endpoints")
    key = {F::proto, F::port};
  else if (s == "svc-endpoints")
    key = {F::ip, F::proto, F::port, F::index}, data = {F::ip, F::port};
  else if (s == "np-endpoints" || s == "np-local-eps")
    key = {F::proto, F::port, F::index}, data = {F::ip, F::port};
  else if (s == "hairpin")
    key = {F::ip, F::ip};
  else if (s == "endpoints")
    key = {F::ip, F::proto, F::port};
  // The key layout tells the address length: fixed fields are 4 bytes each.
  size_t fixed = 0, ips = 0;
  for (F f : key) (f == F::ip ? ips : fixed) += 1;
  size_t ip_len = ips ? (e.key.size() - fixed * 4) / ips : 4;
  std::string out = key.empty() ? "?" : fields_text(key, e.key, ip_len);
  if (!data.empty()) out += " : " + fields_text(data, e.data, ip_len);
  if (e.verdict) {
    if (*e.verdict == NFT_GOTO)
      out += " : goto " + e.chain;
    else if (*e.verdict == NFT_JUMP)
      out += " : jump " + e.chain;
    else if (*e.verdict == NF_DROP)
      out += " : drop";
    else if (*e.verdict == NF_ACCEPT)
      out += " : accept";
    else
      out += fmt::format(" : verdict {}", *e.verdict);
  }
  return out;
}

std::string add_commands(const std::vector<SetDef>& sets, const std::vector<Chain>& chains) {
  std::string out;
  const std::string t = fmt::format("ip {}", kTable);
  for (const auto& s : sets)
    out += fmt::format("add {} {} {} {{ {} }}\n", s.map ? "map" : "set", t, s.name, s.body);
  // All chains exist before any rule refers to one.
  for (const auto& c : chains)
    out += c.hook.empty() ? fmt::format("add chain {} {}\n", t, c.name)
                          : fmt::format("add chain {} {} {{ {} }}\n", t, c.name, c.hook);
  for (const auto& c : chains) {
    out += fmt::format("flush chain {} {}\n", t, c.name);
    for (const auto& r : c.rules) out += fmt::format("add rule {} {} {}\n", t, c.name, r);
  }
  return out;
}

std::string delete_commands(const std::vector<std::string>& chains,
                            const std::vector<std::string>& sets) {
  std::string out;
  const std::string t = fmt::format("ip {}", kTable);
  for (const auto& c : chains) out += fmt::format("flush chain {} {}\n", t, c);
  for (const auto& c : chains) out += fmt::format("delete chain {} {}\n", t, c);
  for (const auto& s : sets) out += fmt::format("delete set {} {}\n", t, s);
  return out;
}

}  // namespace podnet::proxy
