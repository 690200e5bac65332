// Reads trace facts from the kernel, one request at a time (see kernel_facts.hpp).
#include "podnet/trace/kernel_facts.hpp"

#include <fmt/format.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "podnet/nft/nft_context.hpp"
#include "podnet/nft/set_elements.hpp"
#include "podnet/proxy/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/sys/sysctl.hpp"

namespace podnet::trace {

struct KernelReader::State {
  ReaderOptions o;
  std::map<std::string, sys::Netns> netns;
  std::map<std::string, sys::Netlink> nl;

  Result<const sys::Netns*> open_ns(const std::string& name) {
    if (auto it = netns.find(name); it != netns.end()) return &it->second;
    const std::string path = "/var/run/netns/" + name;
    auto ns = sys::Netns::open(path);
    if (!ns) return fail(ns.error().context("open netns " + path));
    return &netns.emplace(name, std::move(*ns)).first->second;
  }
  Result<sys::Netlink*> netlink(const std::string& name) {
    if (auto it = nl.find(name); it != nl.end()) return &it->second;
    const sys::Netns* ns = PODNET_TRY(open_ns(name));
    auto s = PODNET_TRY(sys::Netlink::open_in(*ns));
    return &nl.emplace(name, std::move(s)).first->second;
  }
};

namespace {

const char* type_word(uint8_t t) {
  switch (t) {
    case RTN_LOCAL:
      return "local";
    case RTN_BLACKHOLE:
      return "blackhole";
    case RTN_UNREACHABLE:
      return "unreachable";
    case RTN_PROHIBIT:
      return "prohibit";
    case RTN_BROADCAST:
      return "broadcast";
    default:
      return "";
  }
}

// The route as `ip route` lists it.
std::string route_text(const sys::Route& r, const Namespace& ns) {
  std::string s = type_word(r.type);
  if (!s.empty()) s += " ";
  if (r.dst.length() == 0)
    s += "default";
  else if (r.dst.length() == r.dst.address().bits())
    s += r.dst.address().str();  // a host route, shown as `ip route` does
  else
    s += r.dst.masked().str();
  if (r.gw) s += " via " + r.gw->str();
  if (r.ifindex) {
    const Link* l = ns.link(r.ifindex);
    s += " dev " + (l ? l->name : fmt::format("if{}", r.ifindex));
  }
  if (r.table == RT_TABLE_LOCAL)
    s += " table local";
  else if (r.table && r.table != RT_TABLE_MAIN)
    s += fmt::format(" table {}", r.table);
  if (r.protocol == RTPROT_KERNEL)
    s += " proto kernel";
  else if (r.protocol != RTPROT_BOOT && r.protocol != RTPROT_UNSPEC)
    s += fmt::format(" proto {}", r.protocol);
  if (r.scope && *r.scope == RT_SCOPE_LINK) s += " scope link";
  if (r.scope && *r.scope == RT_SCOPE_HOST) s += " scope host";
  if (r.onlink) s += " onlink";
  return s;
}

// A bridge port's STP state as `bridge link` names it.
const char* port_state_word(uint8_t s) {
  switch (s) {
    case BR_STATE_DISABLED:
      return "disabled";
    case BR_STATE_LISTENING:
      return "listening";
    case BR_STATE_LEARNING:
      return "learning";
    case BR_STATE_FORWARDING:
      return "forwarding";
    case BR_STATE_BLOCKING:
      return "blocking";
    default:
      return "unknown";
  }
}

// An FDB entry's state as `bridge fdb` shows it ("" for a learned one).
std::string fdb_state_word(uint16_t nud) {
  if (nud & NUD_PERMANENT) return "permanent";
  if (nud & NUD_NOARP) return "static";
  if (nud & NUD_STALE) return "stale";
  return "";
}

// net.bridge.bridge-nf-call-iptables of the calling thread's namespace; none without
// br_netfilter (the key does not exist).
Result<std::optional<bool>> bridge_nf_sysctl() {
  auto v = sys::read_sysctl("net/bridge/bridge-nf-call-iptables");
  if (!v) {
    if (v.error().sys_errno == ENOENT) return std::optional<bool>{};
    return fail(v.error());
  }
  return std::optional<bool>{*v == "1"};
}

// Keys of podnet-svc's maps in the kernel's encoding (concatenated fields padded to 4 bytes).
void put_ip(std::vector<uint8_t>& k, const net::IpAddress& a) {
  k.insert(k.end(), a.data(), a.data() + a.byte_len());
}
void put_proto(std::vector<uint8_t>& k, Proto p) {
  k.insert(k.end(), {static_cast<uint8_t>(p), 0, 0, 0});
}
void put_port(std::vector<uint8_t>& k, uint16_t port) {
  k.insert(k.end(), {static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port & 0xff), 0, 0});
}
void put_index(std::vector<uint8_t>& k, uint32_t i) {
  uint8_t b[4];
  std::memcpy(b, &i, 4);  // numgen's register is host order
  k.insert(k.end(), b, b + 4);
}

nft::SetElement key_of(const char* set, std::vector<uint8_t> key) {
  nft::SetElement e;
  e.set = set;
  e.key = std::move(key);
  return e;
}

// Chain name suffix "pick-3" -> 3; "npl-1-2" -> 1 (local endpoints).
size_t count_of(const std::string& chain, const char* prefix) {
  unsigned a = 0, b = 0;
  if (std::sscanf(chain.c_str(), (std::string(prefix) + "%u-%u").c_str(), &a, &b) >= 1) return a;
  return 0;
}

// What podnet-svc does with (dst, proto, port) in this namespace; run inside it.
Result<NatFact> read_nat(const NatKey& k, bool dst_local, const ReaderOptions& o) {
  NatFact out;
  auto client = PODNET_TRY(nft::SetElementClient::open());
  const std::string table(proxy::kTable);
  auto get = [&](const nft::SetElement& key) -> Result<std::optional<nft::SetElement>> {
    auto r = client.get(proxy::kFamilyIp, table, key);
    if (!r && (r.error().sys_errno == ENOENT)) return std::nullopt;  // no table or set
    if (!r) return fail(r.error());
    out.table = true;
    if (*r) (*r)->set = key.set;
    return *r;
  };
  auto text = [](const nft::SetElement& e) { return e.set + ": " + proxy::element_text(e); };
  auto endpoints = [&](const char* set, const std::vector<uint8_t>& base, size_t n) -> Result<> {
    for (size_t i = 0; i < n; ++i) {
      auto key = base;
      put_index(key, static_cast<uint32_t>(i));
      auto e = PODNET_TRY(get(key_of(set, key)));
      if (!e || e->data.size() < 6) continue;
      NatEndpoint ep;
      ep.ip = net::IpAddress::from_bytes(net::Family::v4, e->data.data());
      ep.port = static_cast<uint16_t>((e->data[4] << 8) | e->data[5]);
      ep.element = text(*e);
      out.endpoints.push_back(std::move(ep));
    }
    return {};
  };
  auto dispatch = [&](const nft::SetElement& e) {
    out.element = text(e);
    out.chain = e.chain;
    if (e.verdict && *e.verdict == NF_DROP)
      out.action = NatAction::drop;
    else if (e.chain == "reject-service")
      out.action = NatAction::reject;
    else
      out.action = NatAction::dnat;
  };
  if (!k.dst.is_v4()) return out;
  if (auto it = o.service_names.find(k.dst); it != o.service_names.end()) out.service = it->second;

  if (k.proto != Proto::icmp) {
    std::vector<uint8_t> cip;
    put_ip(cip, k.dst);
    put_proto(cip, k.proto);
    put_port(cip, k.port);
    if (auto e = PODNET_TRY(get(key_of("service-ips", cip)))) {
      dispatch(*e);
      if (out.chain.starts_with("pick-"))
        PODNET_TRY_VOID(endpoints("svc-endpoints", cip, count_of(out.chain, "pick-")));
      return out;
    }
    if (auto e = PODNET_TRY(get(key_of("no-endpoints", cip)))) {
      dispatch(*e);
      return out;
    }
    if (dst_local) {
      std::vector<uint8_t> np;
      put_proto(np, k.proto);
      put_port(np, k.port);
      if (auto it = o.node_port_names.find(k.port); it != o.node_port_names.end())
        out.service = it->second;
      if (auto e = PODNET_TRY(get(key_of("svc-nodeports", np)))) {
        dispatch(*e);
        out.nodeport = true;
        if (out.chain.starts_with("np-pick-"))
          PODNET_TRY_VOID(endpoints("np-endpoints", np, count_of(out.chain, "np-pick-")));
        else if (out.chain.starts_with("npl-"))
          PODNET_TRY_VOID(endpoints("np-local-eps", np, count_of(out.chain, "npl-")));
        return out;
      }
      if (auto e = PODNET_TRY(get(key_of("np-no-endpoints", np)))) {
        dispatch(*e);
        out.nodeport = true;
        return out;
      }
      out.service.clear();
    }
  }
  std::vector<uint8_t> ip;
  put_ip(ip, k.dst);
  out.cluster_ip = PODNET_TRY(get(key_of("cluster-ips", ip))).has_value();
  return out;
}

}  // namespace

KernelReader::KernelReader(ReaderOptions o) : st_(std::make_unique<State>()) {
  st_->o = std::move(o);
}
KernelReader::KernelReader(KernelReader&&) noexcept = default;
KernelReader::~KernelReader() = default;

Result<> KernelReader::fetch(const FactRequest& req, Facts& f) {
  State& st = *st_;
  auto ns_facts = [&](const std::string& name) -> Result<const Namespace*> {
    if (auto it = f.namespaces.find(name); it != f.namespaces.end()) return &it->second;
    Namespace ns;
    if (auto it = st.o.namespaces.find(name); it != st.o.namespaces.end()) ns = it->second;
    ns.netns = name;
    if (ns.label.empty()) ns.label = name;
    ns.links.clear();
    sys::Netlink* nl = PODNET_TRY(st.netlink(name));
    for (const auto& l : PODNET_TRY(nl->list_links())) {
      Link x{.index = l.index,
             .name = l.name,
             .kind = l.kind,
             .up = l.up,
             .master = l.master,
             .peer = l.link,
             .mac = l.mac,
             .mtu = l.mtu,
             .vni = l.vxlan_id};
      if (l.name != "lo") x.addrs = PODNET_TRY(nl->list_addresses(l.index, net::Family::v4));
      ns.links.push_back(std::move(x));
    }
    // Bridge ports (bridge mode nodes): their STP state and hairpin flag.
    if (std::any_of(ns.links.begin(), ns.links.end(), [](const Link& l) { return l.master; }))
      for (const auto& p : PODNET_TRY(nl->list_bridge_ports()))
        for (auto& l : ns.links)
          if (l.index == p.ifindex) {
            l.port_state = port_state_word(p.state);
            l.hairpin = p.hairpin;
          }
    return &f.namespaces.emplace(name, std::move(ns)).first->second;
  };

  if (auto* r = std::get_if<NeedNamespace>(&req)) {
    PODNET_TRY(ns_facts(r->netns));
    return {};
  }
  if (auto* k = std::get_if<RouteKey>(&req)) {
    const Namespace* ns = PODNET_TRY(ns_facts(k->netns));
    sys::Netlink* nl = PODNET_TRY(st.netlink(k->netns));
    sys::RouteQuery q{.dst = k->dst, .src = k->src, .fib_match = true};
    if (!k->iif.empty()) {
      const Link* in = ns->link(k->iif);
      if (!in) return fail(fmt::format("{}: no link {} to ask a route from", ns->label, k->iif));
      q.iif = in->index;
    }
    RouteFact rf;
    if (auto a = nl->route_get(q); !a) {
      rf.error = a.error().sys_errno ? std::strerror(a.error().sys_errno) : a.error().message;
    } else {
      const sys::Route& r = a->route;
      rf.prefix = r.dst;
      rf.local = r.type == RTN_LOCAL;
      rf.gw = r.gw;
      rf.oif = r.ifindex;
      rf.text = route_text(r, *ns);
      if (r.type != RTN_UNICAST && r.type != RTN_LOCAL)
        rf.error = fmt::format("{} route \"{}\"", type_word(r.type), rf.text);
      if (k->iif.empty()) {
        // The resolved lookup (no FIB match) tells the source address the kernel would pick.
        q.fib_match = false;
        if (auto plain = nl->route_get(q)) rf.prefsrc = plain->prefsrc;
      }
    }
    f.routes[*k] = std::move(rf);
    return {};
  }
  if (auto* k = std::get_if<PeerKey>(&req)) {
    const Namespace* ns = PODNET_TRY(ns_facts(k->netns));
    const Link* l = ns->link(k->ifindex);
    PeerFact pf;
    if (l && l->kind == "veth") {
      // Candidates: a pod's eth0 ends on its node; a node's veths end in its pods.
      std::vector<std::string> cands;
      if (ns->role == Role::pod && !ns->node.empty()) cands.push_back(ns->node);
      for (const auto& [name, n] : st.o.namespaces)
        if (ns->role == Role::node && n.role == Role::pod && n.node == k->netns)
          cands.push_back(name);
      for (const auto& c : cands) {
        auto other = ns_facts(c);
        if (!other) continue;  // a pod being deleted
        const Link* p = (*other)->link(l->peer);
        if (p && p->kind == "veth" && p->peer == l->index) {
          pf = PeerFact{c, p->index};
          break;
        }
      }
    }
    f.peers[*k] = pf;
    return {};
  }
  if (auto* k = std::get_if<NeedVxlan>(&req)) {
    const Namespace* ns = PODNET_TRY(ns_facts(k->netns));
    const Link* l = ns->link(k->device);
    VxlanFact vf;
    if (l) {
      sys::Netlink* nl = PODNET_TRY(st.netlink(k->netns));
      for (const auto& n : PODNET_TRY(nl->list_neigh(l->index, net::Family::v4)))
        vf.neighs.push_back(VxlanNeigh{n.ip, n.mac ? n.mac->str() : ""});
      for (const auto& e : PODNET_TRY(nl->list_fdb(l->index)))
        vf.fdb.push_back(VxlanFdb{e.mac.str(), e.dst});
    }
    f.vxlan[{k->netns, k->device}] = std::move(vf);
    return {};
  }
  if (auto* k = std::get_if<NeedBridge>(&req)) {
    const Namespace* ns = PODNET_TRY(ns_facts(k->netns));
    const Link* l = ns->link(k->device);
    BridgeFact bf;
    if (l && l->kind == "bridge") {
      sys::Netlink* nl = PODNET_TRY(st.netlink(k->netns));
      for (const auto& e : PODNET_TRY(nl->list_bridge_fdb(l->index)))
        bf.fdb.push_back(BridgeFdb{e.mac.str(), e.ifindex, fdb_state_word(e.state)});
      const auto settings = PODNET_TRY(nl->bridge_settings(l->index));
      const sys::Netns* nsh = PODNET_TRY(st.open_ns(k->netns));
      auto sysctl = sys::run_in(*nsh, [] { return bridge_nf_sysctl(); });
      if (!sysctl) return fail(sysctl.error().context("read br_netfilter sysctl in " + k->netns));
      // Without br_netfilter the bridge's own switch does nothing.
      if (*sysctl) bf.netfilter = **sysctl || settings.nf_call_iptables;
    }
    f.bridges[{k->netns, k->device}] = std::move(bf);
    return {};
  }
  if (auto* k = std::get_if<NatKey>(&req)) {
    sys::Netlink* nl = PODNET_TRY(st.netlink(k->netns));
    auto local = nl->route_get(sys::RouteQuery{.dst = k->dst, .fib_match = true});
    const bool dst_local = local && local->route.type == RTN_LOCAL;
    const sys::Netns* ns = PODNET_TRY(st.open_ns(k->netns));
    auto nat = sys::run_in(*ns, [&] { return read_nat(*k, dst_local, st.o); });
    if (!nat) return fail(nat.error().context("read podnet-svc in " + k->netns));
    f.nat[*k] = std::move(*nat);
    return {};
  }
  if (auto* k = std::get_if<NeedMasq>(&req)) {
    const sys::Netns* ns = PODNET_TRY(st.open_ns(k->netns));
    auto listing = sys::run_in(*ns, [&]() -> Result<std::string> {
      auto ctx = PODNET_TRY(nft::NftContext::create());
      return ctx.run("list chain ip podnet postrouting");
    });
    MasqFact mf;
    if (listing) {
      mf.table = true;
      mf.rules = chain_rules(*listing);
    }
    f.masq[k->netns] = std::move(mf);
    return {};
  }
  return fail("trace: unknown fact request");
}

Result<Path> predict(const TraceQuery& q, Facts& f, KernelReader& reader) {
  // Each round fetches one fact; a path crosses a handful of namespaces, so this is generous.
  for (int round = 0; round < 500; ++round) {
    auto r = assemble(q, f);
    if (auto* p = std::get_if<Path>(&r)) return std::move(*p);
    const auto& need = std::get<FactRequest>(r);
    if (auto ok = reader.fetch(need, f); !ok)
      return fail(ok.error().context("trace: read " + describe(need)));
  }
  return fail("trace: the path needs more facts than expected (a loop?)");
}

}  // namespace podnet::trace
