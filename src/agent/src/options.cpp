#include "podnet/agent/options.hpp"

#include <charconv>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "podnet/cluster/objects.hpp"
#include "podnet/net/gso.hpp"

namespace podnet::agent {

// A small parser instead of CLI11: every flag is a long option with one value (or none), and
// the contract wants exactly one line naming the flag on any error, which is simplest to keep
// when the messages are ours.

std::string ListenAddr::str() const {
  return ip.is_v4() ? fmt::format("{}:{}", ip.str(), port) : fmt::format("[{}]:{}", ip.str(), port);
}

namespace {

template <typename T>
std::optional<T> to_uint(std::string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A duration flag: whole seconds in lo..hi.
Result<std::chrono::seconds> parse_seconds(std::string_view flag, std::string_view v, unsigned lo,
                                           unsigned hi) {
  auto n = to_uint<unsigned>(v);
  if (!n || *n < lo || *n > hi)
    return fail(fmt::format("{}: \"{}\" must be seconds in {}..{}", flag, v, lo, hi));
  return std::chrono::seconds(*n);
}

Result<net::Prefix> parse_cidr(std::string_view flag, std::string_view v) {
  auto p = net::Prefix::parse(v);
  if (!p) return fail(fmt::format("{}: \"{}\" is not a CIDR (like 192.168.0.0/16)", flag, v));
  if (p->masked() != *p)
    return fail(
        fmt::format("{}: {} has host bits set (did you mean {}?)", flag, v, p->masked().str()));
  return *p;
}

using Setter = std::function<Result<>(Options&, std::string_view)>;
struct Flag {
  bool takes_value = true;
  Setter set;
};

const std::map<std::string, Flag, std::less<>>& flags() {
  static const std::map<std::string, Flag, std::less<>> f = {
      {"--node",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          PODNET_TRY_VOID(cluster::validate_dns_label(v, "--node"));
          o.node = v;
          return {};
        }}},
      {"--store",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v.empty()) return fail("--store: needs a URL (sqlite:///path or etcd://host:port)");
          o.store_url = v;
          return {};
        }}},
      {"--iface",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v.empty() || v.size() > 15 || v.find('/') != v.npos || v.find(' ') != v.npos)
            return fail(fmt::format("--iface: \"{}\" is not an interface name", v));
          o.iface = v;
          return {};
        }}},
      {"--ip",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          auto ip = net::IpAddress::parse(v);
          if (!ip || ip->is_unspecified() || ip->is_multicast())
            return fail(fmt::format("--ip: \"{}\" is not a unicast IP address", v));
          o.ip = *ip;
          return {};
        }}},
      {"--cni-conf-dir",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v.empty()) return fail("--cni-conf-dir: must not be empty");
          o.cni_conf_dir = v;
          return {};
        }}},
      {"--state-dir",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v.empty()) return fail("--state-dir: must not be empty");
          o.state_dir = v;
          return {};
        }}},
      {"--ipam-data-dir",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.ipam_data_dir = v;
          return {};
        }}},
      {"--mode",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v == "bridge")
            o.mode = cluster::PodMode::bridge;
          else if (v == "ptp")
            o.mode = cluster::PodMode::ptp;
          else
            return fail(fmt::format("--mode: \"{}\" is not bridge or ptp", v));
          return {};
        }}},
      {"--pod-gso-max-size",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          uint64_t n = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
          if (ec != std::errc() || end != v.data() + v.size() || !net::valid_gso_max_size(n))
            return fail(fmt::format("--pod-gso-max-size: \"{}\" is not 0 or {}..{}", v,
                                    net::kLegacyGsoMaxSize, net::kVethGsoMaxSize));
          o.pod_gso_max_size = static_cast<uint32_t>(n);
          return {};
        }}},
      {"--listen",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.listen = PODNET_TRY(parse_listen(v));
          return {};
        }}},
      {"--lease-ttl",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.lease_ttl = PODNET_TRY(parse_seconds("--lease-ttl", v, 2, 86400));
          return {};
        }}},
      {"--resync-period",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.resync_period = PODNET_TRY(parse_seconds("--resync-period", v, 1, 86400));
          return {};
        }}},
      {"--proxy-full-sync-period",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.proxy_full_sync_period =
              PODNET_TRY(parse_seconds("--proxy-full-sync-period", v, 1, 604800));
          return {};
        }}},
      {"--cluster-cidr",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.cluster_cidr = PODNET_TRY(parse_cidr("--cluster-cidr", v));
          return {};
        }}},
      {"--node-subnet-len",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          auto n = to_uint<unsigned>(v);
          if (!n || *n > 128)
            return fail(fmt::format("--node-subnet-len: \"{}\" is not a prefix length", v));
          o.node_subnet_len = int(*n);
          return {};
        }}},
      {"--service-cidr",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.service_cidr = PODNET_TRY(parse_cidr("--service-cidr", v));
          return {};
        }}},
      {"--backend",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v == "vxlan")
            o.backend = cluster::BackendType::vxlan;
          else if (v == "host-gw")
            o.backend = cluster::BackendType::host_gw;
          else
            return fail(fmt::format("--backend: \"{}\" is not vxlan or host-gw", v));
          return {};
        }}},
      {"--vni",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          auto n = to_uint<uint32_t>(v);
          if (!n || *n < 1 || *n > 16777215)
            return fail(fmt::format("--vni: \"{}\" must be in 1..16777215", v));
          o.vni = *n;
          return {};
        }}},
      {"--vxlan-port",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          auto n = to_uint<uint32_t>(v);
          if (!n || *n < 1 || *n > 65535)
            return fail(fmt::format("--vxlan-port: \"{}\" must be in 1..65535", v));
          o.vxlan_port = uint16_t(*n);
          return {};
        }}},
      {"--direct-routing",
       {false,
        [](Options& o, std::string_view) -> Result<> {
          o.direct_routing = true;
          return {};
        }}},
      {"--leave",
       {false,
        [](Options& o, std::string_view) -> Result<> {
          o.leave = true;
          return {};
        }}},
      {"--log-level",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          if (v == "debug")
            o.log_level = log::Level::debug;
          else if (v == "info")
            o.log_level = log::Level::info;
          else if (v == "warn")
            o.log_level = log::Level::warn;
          else if (v == "error")
            o.log_level = log::Level::error;
          else
            return fail(fmt::format("--log-level: \"{}\" is not debug, info, warn or error", v));
          return {};
        }}},
      {"--log-file",
       {true,
        [](Options& o, std::string_view v) -> Result<> {
          o.log_file = v;
          return {};
        }}},
      {"--help",
       {false,
        [](Options& o, std::string_view) -> Result<> {
          o.help = true;
          return {};
        }}},
      {"--version",
       {false,
        [](Options& o, std::string_view) -> Result<> {
          o.version = true;
          return {};
        }}},
  };
  return f;
}

}  // namespace

Result<std::optional<ListenAddr>> parse_listen(std::string_view text) {
  if (text.empty()) return std::optional<ListenAddr>{};
  std::string_view host, port;
  if (text.front() == '[') {
    auto close = text.find("]:");
    if (close == text.npos) return fail(fmt::format("--listen: \"{}\" is not [ADDR]:PORT", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == text.npos) return fail(fmt::format("--listen: \"{}\" is not ADDR:PORT", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto ip = net::IpAddress::parse(host);
  auto p = to_uint<uint32_t>(port);
  if (!ip || (text.front() != '[' && !ip->is_v4()))
    return fail(fmt::format("--listen: \"{}\" is not an IP address", host));
  if (!p || *p < 1 || *p > 65535)
    return fail(fmt::format("--listen: port \"{}\" must be in 1..65535", port));
  return std::optional<ListenAddr>{ListenAddr{*ip, uint16_t(*p)}};
}

Result<Options> parse_args(std::span<const std::string> args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); a.starts_with("--") && eq != a.npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    auto it = flags().find(name);
    if (it == flags().end()) {
      if (!a.starts_with("-")) return fail(fmt::format("unexpected argument \"{}\"", a));
      return fail(fmt::format("{}: unknown flag (see --help)", name));
    }
    if (it->second.takes_value && !inline_value) {
      if (i + 1 >= args.size()) return fail(fmt::format("{}: needs a value", name));
      value = args[++i];
    } else if (!it->second.takes_value && inline_value) {
      return fail(fmt::format("{}: takes no value", name));
    }
    PODNET_TRY_VOID(it->second.set(o, value));
  }
  if (o.help || o.version) return o;
  if (o.node.empty()) return fail("--node: required (this node's name)");
  if (o.store_url.empty()) return fail("--store: required (sqlite:///path or etcd://host:port)");
  return o;
}

std::string usage() {
  return R"(usage: podnetd --node NAME --store URL [flags]
  --iface IF               underlay interface (default eth0); its first IPv4 address is the node IP
  --ip A.B.C.D             node IP when the interface has several
  --cni-conf-dir DIR       default /etc/cni/net.d; writes DIR/10-podnet.conflist
  --state-dir DIR          default /var/lib/podnetd; keeps `subnet` and `vtep-mac`
  --ipam-data-dir DIR      ipam.dataDir in the conflist
  --mode bridge|ptp        pod wiring written into the conflist (default ptp)
  --pod-gso-max-size N     BIG TCP for pods: GSO/GRO up to N bytes (65536..524280; host-gw only;
                           default 0 = the kernel's 65536)
  --listen ADDR:PORT       /metrics /healthz /readyz (default 127.0.0.1:9402; "" = off)
  --lease-ttl SECONDS      subnet/node lease TTL (default 30, renewed every TTL/3)
  --resync-period SECONDS  every route reconciled against the kernel and the masquerade table
                           replaced this often, repairing changes made by hand (default 30);
                           the service table checked whole (base chains, rules, maps) as often
  --proxy-full-sync-period SECONDS   the service table fully resynced this often, repairing
                           map elements deleted by hand (default 3600)
  --cluster-cidr C --node-subnet-len N --service-cidr C --backend vxlan|host-gw
  --vni N --vxlan-port P   only used to create /podnet/config when it is absent
  --direct-routing         vxlan: peers on the underlay's own subnet get direct routes
                           (flannel's DirectRouting); with --backend, only at creation too
  --leave                  give the subnet back, remove node, routes, VTEP, nft table, conflist
  --log-level debug|info|warn|error   --log-file PATH
)";
}

std::optional<std::string> pod_gso_problem(const Options& o, cluster::BackendType backend) {
  if (o.pod_gso_max_size <= net::kLegacyGsoMaxSize || backend != cluster::BackendType::vxlan)
    return std::nullopt;
  return fmt::format(
      "--pod-gso-max-size: {} needs the host-gw backend (the cluster uses vxlan, which cannot "
      "encapsulate packets above 65536 bytes)",
      o.pod_gso_max_size);
}

Result<cluster::ClusterConfig> config_from_flags(const Options& o) {
  cluster::ClusterConfig c;
  if (o.cluster_cidr) c.clusterCIDR = *o.cluster_cidr;
  if (o.node_subnet_len) c.nodeSubnetLen = *o.node_subnet_len;
  if (o.service_cidr) c.serviceCIDR = *o.service_cidr;
  if (o.backend) c.backend.type = *o.backend;
  if (o.vni) c.backend.vni = *o.vni;
  if (o.vxlan_port) c.backend.port = *o.vxlan_port;
  if (o.direct_routing) c.backend.directRouting = *o.direct_routing;
  if (auto v = cluster::validate(c); !v) {
    // validate() names the JSON field; name the flag that sets it instead.
    static const std::pair<std::string_view, std::string_view> names[] = {
        {"clusterCIDR:", "--cluster-cidr:"}, {"nodeSubnetLen:", "--node-subnet-len:"},
        {"serviceCIDR:", "--service-cidr:"}, {"backend.vni:", "--vni:"},
        {"backend.port:", "--vxlan-port:"},  {"backend.directRouting:", "--direct-routing:"}};
    std::string m = v.error().message;
    for (auto [field, flag] : names)
      if (m.starts_with(field)) {
        m = std::string(flag) + m.substr(field.size());
        break;
      }
    return fail(m);
  }
  return c;
}

std::vector<std::string> config_conflicts(const Options& o, const cluster::ClusterConfig& s) {
  std::vector<std::string> out;
  auto differs = [&](std::string_view flag, const std::string& given, const std::string& stored) {
    if (given != stored)
      out.push_back(fmt::format("{} {} differs from the store's {}", flag, given, stored));
  };
  if (o.cluster_cidr) differs("--cluster-cidr", o.cluster_cidr->str(), s.clusterCIDR.str());
  if (o.node_subnet_len)
    differs("--node-subnet-len", std::to_string(*o.node_subnet_len),
            std::to_string(s.nodeSubnetLen));
  if (o.service_cidr) differs("--service-cidr", o.service_cidr->str(), s.serviceCIDR.str());
  if (o.backend)
    differs("--backend", std::string(cluster::to_string(*o.backend)),
            std::string(cluster::to_string(s.backend.type)));
  if (o.vni) differs("--vni", std::to_string(*o.vni), std::to_string(s.backend.vni));
  if (o.vxlan_port)
    differs("--vxlan-port", std::to_string(*o.vxlan_port), std::to_string(s.backend.port));
  if (o.direct_routing)
    differs("--direct-routing", *o.direct_routing ? "on" : "off",
            s.backend.directRouting ? "on" : "off");
  return out;
}

}  // namespace podnet::agent
