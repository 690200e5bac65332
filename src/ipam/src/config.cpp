#include "podnet/ipam/config.hpp"

#include <climits>

#include <fmt/format.h>

#include "podnet/common/error.hpp"

namespace podnet::ipam {

using cni::CniError;
using cni::Code;
using net::IpAddress;
using net::Prefix;
using nlohmann::json;

namespace {

std::unexpected<CniError> bad(std::string m) {
  return std::unexpected(CniError(Code::invalid_config, std::move(m)));
}

const char* family_name(net::Family f) {
  return f == net::Family::v4 ? "IPv4" : "IPv6";
}

// An optional IP-valued key of obj; errors name "<where>.<key>".
std::expected<std::optional<IpAddress>, CniError> get_ip(const json& obj, const char* key,
                                                         const std::string& where) {
  auto s = PODNET_TRY(cni::get_string(obj, key, where + "."));
  if (!s || s->empty()) return std::optional<IpAddress>{};
  auto ip = IpAddress::parse(*s);
  if (!ip) return bad(fmt::format("{}.{}: invalid IP address '{}'", where, key, *s));
  return ip;
}

Prefix multicast_of(net::Family f) {
  return *Prefix::parse(f == net::Family::v4 ? "224.0.0.0/4" : "ff00::/8");
}

std::expected<void, CniError> check_in_subnet(const IpAddress& ip, const Prefix& subnet,
                                              const std::string& field) {
  if (ip.family() != subnet.family())
    return bad(fmt::format("{}: {} is {} but subnet {} is {}", field, ip.str(),
                           family_name(ip.family()), subnet.str(), family_name(subnet.family())));
  if (!subnet.contains(ip))
    return bad(fmt::format("{}: {} is outside subnet {}", field, ip.str(), subnet.str()));
  return {};
}

// One range: host-local's Range.Canonicalize with its defaults (gateway = network + 1,
// start = network + 1, end = last address, minus the broadcast for IPv4).
std::expected<Range, CniError> parse_range(const json& o, const std::string& where) {
  if (!o.is_object())
    return bad(fmt::format("{}: want an object {{subnet, rangeStart, rangeEnd, gateway}}, got {}",
                           where, o.type_name()));
  auto text = PODNET_TRY(cni::get_string(o, "subnet", where + ".")).value_or("");
  if (text.empty()) return bad(fmt::format("{}.subnet: missing", where));
  auto p = Prefix::parse(text);
  if (!p) return bad(fmt::format("{}.subnet: invalid CIDR '{}'", where, text));
  Range r;
  r.field = where;
  r.subnet = p->masked();  // host bits in "10.1.0.5/24" are ignored
  // A subnet of everything, or of multicast addresses, is a mistake no ADD should act on.
  if (p->length() == 0)
    return bad(fmt::format("{}.subnet: {} covers every address; give the pod network's subnet",
                           where, text));
  if (r.subnet.overlaps(multicast_of(r.subnet.family())))
    return bad(fmt::format("{}.subnet: {} is multicast ({})", where, r.subnet.str(),
                           multicast_of(r.subnet.family()).str()));
  if (p->length() > p->address().bits() - 2)
    return bad(fmt::format("{}.subnet: {} is too small to allocate from (at most /{})", where,
                           r.subnet.str(), p->address().bits() - 2));
  const IpAddress network = r.subnet.network();

  auto gw = PODNET_TRY(get_ip(o, "gateway", where));
  if (gw) PODNET_TRY(check_in_subnet(*gw, r.subnet, where + ".gateway"));
  r.gateway = gw.value_or(network.next());

  auto start = PODNET_TRY(get_ip(o, "rangeStart", where));
  if (start) PODNET_TRY(check_in_subnet(*start, r.subnet, where + ".rangeStart"));
  r.start = start.value_or(network.next());

  auto end = PODNET_TRY(get_ip(o, "rangeEnd", where));
  if (end) PODNET_TRY(check_in_subnet(*end, r.subnet, where + ".rangeEnd"));
  r.end = end ? *end : (r.subnet.is_v4() ? r.subnet.last().prev() : r.subnet.last());

  if (r.end < r.start)
    return bad(
        fmt::format("{}.rangeEnd: {} is before rangeStart {}", where, r.end.str(), r.start.str()));
  return r;
}

std::expected<RangeSet, CniError> parse_range_set(const json& j, const std::string& where) {
  if (!j.is_array())
    return bad(fmt::format("{}: want a list of ranges, got {}", where, j.type_name()));
  if (j.empty()) return bad(fmt::format("{}: empty range set", where));
  RangeSet set;
  set.field = where;
  for (size_t i = 0; i < j.size(); ++i) {
    Range r = PODNET_TRY(parse_range(j[i], fmt::format("{}[{}]", where, i)));
    for (const auto& prev : set.ranges) {
      if (prev.subnet.family() != r.subnet.family())
        return bad(fmt::format("{}.subnet: {} is {} but {} is {} (a range set holds one family)",
                               r.field, r.subnet.str(), family_name(r.subnet.family()), prev.field,
                               family_name(prev.subnet.family())));
      if (prev.overlaps(r))
        return bad(fmt::format("{}: {}-{} overlaps {} ({}-{})", r.field, r.start.str(), r.end.str(),
                               prev.field, prev.start.str(), prev.end.str()));
    }
    set.ranges.push_back(std::move(r));
  }
  return set;
}

std::expected<void, CniError> append_range_sets(const json& obj, const char* key,
                                                const std::string& where,
                                                std::vector<RangeSet>& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_array())
    return bad(fmt::format("{}: want a list of range sets, got {}", where, it->type_name()));
  for (size_t i = 0; i < it->size(); ++i)
    out.push_back(PODNET_TRY(parse_range_set((*it)[i], fmt::format("{}[{}]", where, i))));
  return {};
}

std::expected<std::vector<cni::Route>, CniError> parse_routes(const json& ipam) {
  std::vector<cni::Route> routes;
  auto it = ipam.find("routes");
  if (it == ipam.end() || it->is_null()) return routes;
  if (!it->is_array()) return bad(fmt::format("ipam.routes: want a list, got {}", it->type_name()));
  for (size_t i = 0; i < it->size(); ++i) {
    const json& o = (*it)[i];
    std::string where = fmt::format("ipam.routes[{}]", i);
    if (!o.is_object())
      return bad(fmt::format("{}: want an object {{dst, gw}}, got {}", where, o.type_name()));
    auto dst = PODNET_TRY(cni::get_string(o, "dst", where + ".")).value_or("");
    if (dst.empty()) return bad(fmt::format("{}.dst: missing", where));
    auto p = Prefix::parse(dst);
    if (!p) return bad(fmt::format("{}.dst: invalid CIDR '{}'", where, dst));
    cni::Route r;
    r.dst = *p;
    r.gw = PODNET_TRY(get_ip(o, "gw", where));
    if (r.gw && r.gw->family() != p->family())
      return bad(fmt::format("{}.gw: {} gateway {} for {} destination {}", where,
                             family_name(r.gw->family()), r.gw->str(), family_name(p->family()),
                             dst));
    auto opt_int = [&](const char* key) -> std::expected<std::optional<int>, CniError> {
      auto v = PODNET_TRY(cni::get_int(o, key, where + "."));
      if (!v) return std::optional<int>{};
      if (*v < INT_MIN || *v > INT_MAX)  // a cast would truncate (4294968796 -> 1500)
        return bad(fmt::format("{}.{}: {} is out of range", where, key, *v));
      return std::optional<int>(static_cast<int>(*v));
    };
    r.mtu = PODNET_TRY(opt_int("mtu"));
    r.advmss = PODNET_TRY(opt_int("advmss"));
    r.priority = PODNET_TRY(opt_int("priority"));
    r.table = PODNET_TRY(opt_int("table"));
    r.scope = PODNET_TRY(opt_int("scope"));
    routes.push_back(r);
  }
  return routes;
}

struct Requested {
  IpAddress ip;
  std::string field;
};

std::expected<void, CniError> append_ip_list(const json& parent, const char* key,
                                             const std::string& where, bool allow_cidr,
                                             std::vector<Requested>& out) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return {};
  if (!it->is_array())
    return bad(fmt::format("{}: want a list of IP addresses, got {}", where, it->type_name()));
  for (size_t i = 0; i < it->size(); ++i) {
    std::string field = fmt::format("{}[{}]", where, i);
    const json& e = (*it)[i];
    if (!e.is_string()) return bad(fmt::format("{}: want a string, got {}", field, e.type_name()));
    std::string text = e.get<std::string>();
    // runtimeConfig.ips entries may carry a prefix length ("10.1.0.5/24"), as libcni sends.
    std::optional<IpAddress> ip;
    if (allow_cidr && text.find('/') != std::string::npos) {
      if (auto p = Prefix::parse(text)) ip = p->address();
    } else {
      ip = IpAddress::parse(text);
    }
    if (!ip) return bad(fmt::format("{}: invalid IP address '{}'", field, text));
    out.push_back({*ip, field});
  }
  return {};
}

std::expected<std::vector<Requested>, CniError> requested_ips(const cni::NetConf& conf,
                                                              const CniArgs& cni_args) {
  std::vector<Requested> out;
  for (const auto& [k, v] : cni_args) {
    if (k != "IP") continue;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      std::string item =
          v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty()) {
        auto ip = IpAddress::parse(item);
        if (!ip)
          return std::unexpected(CniError(
              Code::invalid_env, fmt::format("CNI_ARGS IP: invalid IP address '{}'", item)));
        out.push_back({*ip, "CNI_ARGS IP"});
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (conf.args.is_object()) {
    auto cni = conf.args.find("cni");
    if (cni != conf.args.end() && !cni->is_null()) {
      if (!cni->is_object())
        return bad(fmt::format("args.cni: want an object, got {}", cni->type_name()));
      PODNET_TRY(append_ip_list(*cni, "ips", "args.cni.ips", false, out));
    }
  }
  if (conf.runtime_config.is_object())
    PODNET_TRY(append_ip_list(conf.runtime_config, "ips", "runtimeConfig.ips", true, out));
  return out;
}

// host-local hands each range set the first requested address it contains and fails on any
// left over; podnet checks the same up front so the error names the field.
std::expected<std::vector<std::optional<IpAddress>>, CniError> assign_requested(
    const std::vector<RangeSet>& sets, const std::vector<Requested>& reqs) {
  std::vector<std::optional<IpAddress>> by_set(sets.size());
  std::vector<std::string> by_set_field(sets.size());
  for (const auto& rq : reqs) {
    size_t i = 0;
    while (i < sets.size() && !sets[i].contains(rq.ip)) ++i;
    if (i == sets.size()) {
      std::string all;
      for (const auto& s : sets) all += (all.empty() ? "" : "; ") + s.str();
      return bad(
          fmt::format("{}: requested address {} is in no range ({})", rq.field, rq.ip.str(), all));
    }
    const Range& r = *sets[i].range_for(rq.ip);
    if (rq.ip == r.gateway)
      return bad(fmt::format("{}: requested address {} is the gateway of {}", rq.field, rq.ip.str(),
                             r.field));
    if (r.reserved_address(rq.ip))
      return bad(fmt::format("{}: requested address {} is the {} address of {}", rq.field,
                             rq.ip.str(), rq.ip == r.subnet.network() ? "network" : "broadcast",
                             r.subnet.str()));
    if (by_set[i] && *by_set[i] != rq.ip)
      return bad(
          fmt::format("{}: requested address {} is a second address for range set {} "
                      "({}), which already gets {} from {}",
                      rq.field, rq.ip.str(), i, sets[i].field, by_set[i]->str(), by_set_field[i]));
    by_set[i] = rq.ip;
    by_set_field[i] = rq.field;
  }
  return by_set;
}

}  // namespace

std::expected<StoreLocation, CniError> parse_location(const cni::NetConf& conf) {
  if (conf.ipam.is_null()) return bad("ipam: missing (podnet-ipam reads its ranges from it)");
  if (conf.name == "." || conf.name == ".." || conf.name.find('/') != std::string::npos ||
      conf.name.find('\0') != std::string::npos)
    return bad(fmt::format("name: '{}' cannot name a directory under ipam.dataDir", conf.name));
  StoreLocation loc;
  loc.network = conf.name;
  loc.data_dir = PODNET_TRY(cni::get_string(conf.ipam, "dataDir", "ipam.")).value_or("");
  if (loc.data_dir.find('\0') != std::string::npos)
    return bad("ipam.dataDir: path contains a NUL byte");
  if (loc.data_dir.empty()) loc.data_dir = kDefaultDataDir;
  // Relative to what? The runtime's working directory is nobody's choice.
  if (loc.data_dir.front() != '/')
    return bad(fmt::format("ipam.dataDir: '{}' is not an absolute path", loc.data_dir));
  while (loc.data_dir.size() > 1 && loc.data_dir.back() == '/') loc.data_dir.pop_back();
  if (auto ms = PODNET_TRY(cni::get_int(conf.ipam, "lockTimeoutMs", "ipam."))) {
    if (*ms < 1 || *ms > 3600 * 1000)
      return bad(fmt::format("ipam.lockTimeoutMs: {} is not between 1 and 3600000", *ms));
    loc.lock_timeout = std::chrono::milliseconds(*ms);
  }
  return loc;
}

std::expected<IpamConfig, CniError> parse_ipam_config(const cni::NetConf& conf,
                                                      const CniArgs& cni_args) {
  IpamConfig c;
  c.location = PODNET_TRY(parse_location(conf));
  const json& ipam = conf.ipam;
  if (conf.runtime_config.is_object())
    PODNET_TRY(
        append_range_sets(conf.runtime_config, "ipRanges", "runtimeConfig.ipRanges", c.range_sets));
  if (!PODNET_TRY(cni::get_string(ipam, "subnet", "ipam.")).value_or("").empty()) {
    RangeSet legacy;
    legacy.field = "ipam";
    legacy.ranges.push_back(PODNET_TRY(parse_range(ipam, "ipam")));
    c.range_sets.push_back(std::move(legacy));
  }
  PODNET_TRY(append_range_sets(ipam, "ranges", "ipam.ranges", c.range_sets));
  if (c.range_sets.empty())
    return bad("ipam.ranges: no address ranges (set ipam.ranges or ipam.subnet)");
  for (size_t i = 0; i < c.range_sets.size(); ++i) {
    const RangeSet& s = c.range_sets[i];
    if (s.allocatable_count() == 0)
      return bad(
          fmt::format("{}: has no address to hand out (only gateway, network or "
                      "broadcast addresses)",
                      s.field));
    for (size_t j = 0; j < i; ++j)
      if (c.range_sets[j].overlaps(s))
        return bad(fmt::format("{}: overlaps range set {} ({})", s.field, c.range_sets[j].field,
                               c.range_sets[j].str()));
  }
  c.routes = PODNET_TRY(parse_routes(ipam));
  c.resolv_conf = PODNET_TRY(cni::get_string(ipam, "resolvConf", "ipam.")).value_or("");
  auto reqs = PODNET_TRY(requested_ips(conf, cni_args));
  c.requested = PODNET_TRY(assign_requested(c.range_sets, reqs));
  return c;
}

}  // namespace podnet::ipam
