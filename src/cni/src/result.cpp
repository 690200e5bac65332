#include "podnet/cni/result.hpp"

#include <climits>

#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/cni/version.hpp"

namespace podnet::cni {

using nlohmann::json;

namespace {

std::unexpected<CniError> decode_error(std::string m) {
  return std::unexpected(CniError(Code::decode_failure, std::move(m)));
}

bool is_v1_1(std::string_view version) { return version_at_least(version, "1.1.0"); }
bool is_pre_v1(std::string_view version) { return !version_at_least(version, "1.0.0"); }

std::expected<std::optional<int>, CniError> opt_int(const json& j, const char* key,
                                                    std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<int>{};
  if (!it->is_number_integer())
    return decode_error(fmt::format("{}.{}: want an integer", where, key));
  // get<int>() would truncate silently (4294968796 -> 1500).
  if (it->is_number_unsigned() ? it->get<uint64_t>() > uint64_t{INT_MAX}
                               : it->get<int64_t>() < INT_MIN || it->get<int64_t>() > INT_MAX)
    return decode_error(fmt::format("{}.{}: {} is out of range", where, key, it->dump()));
  return std::optional<int>(it->get<int>());
}

std::expected<std::string, CniError> opt_string(const json& j, const char* key,
                                                std::string_view where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string{};
  if (!it->is_string()) return decode_error(fmt::format("{}.{}: want a string", where, key));
  return it->get<std::string>();
}

std::expected<std::vector<std::string>, CniError> string_list(const json& j, const char* key,
                                                              std::string_view where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return decode_error(fmt::format("{}.{}: want a list", where, key));
  for (const auto& e : *it) {
    if (!e.is_string()) return decode_error(fmt::format("{}.{}: want strings", where, key));
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

json dns_to_json(const Dns& d) {
  json j = json::object();
  if (!d.nameservers.empty()) j["nameservers"] = d.nameservers;
  if (!d.domain.empty()) j["domain"] = d.domain;
  if (!d.search.empty()) j["search"] = d.search;
  if (!d.options.empty()) j["options"] = d.options;
  return j;
}

std::expected<Dns, CniError> dns_from_json(const json& j) {
  Dns d;
  if (j.is_null()) return d;
  if (!j.is_object()) return decode_error("dns: want an object");
  d.nameservers = PODNET_TRY(string_list(j, "nameservers", "dns"));
  d.domain = PODNET_TRY(opt_string(j, "domain", "dns"));
  d.search = PODNET_TRY(string_list(j, "search", "dns"));
  d.options = PODNET_TRY(string_list(j, "options", "dns"));
  return d;
}

json route_to_json(const Route& r, std::string_view version) {
  json j = {{"dst", r.dst.str()}};
  if (r.gw) j["gw"] = r.gw->str();
  if (is_v1_1(version)) {
    if (r.mtu) j["mtu"] = *r.mtu;
    if (r.advmss) j["advmss"] = *r.advmss;
    if (r.priority) j["priority"] = *r.priority;
    if (r.table) j["table"] = *r.table;
    if (r.scope) j["scope"] = *r.scope;
  }
  return j;
}

std::expected<Route, CniError> route_from_json(const json& j) {
  if (!j.is_object()) return decode_error("routes: want objects");
  Route r;
  auto dst = PODNET_TRY(opt_string(j, "dst", "routes[]"));
  auto p = net::Prefix::parse(dst);
  if (!p) return decode_error(fmt::format("routes[].dst: invalid CIDR '{}'", dst));
  r.dst = *p;
  auto gw = PODNET_TRY(opt_string(j, "gw", "routes[]"));
  if (!gw.empty()) {
    auto ip = net::IpAddress::parse(gw);
    if (!ip) return decode_error(fmt::format("routes[].gw: invalid IP address '{}'", gw));
    r.gw = *ip;
  }
  r.mtu = PODNET_TRY(opt_int(j, "mtu", "routes[]"));
  r.advmss = PODNET_TRY(opt_int(j, "advmss", "routes[]"));
  r.priority = PODNET_TRY(opt_int(j, "priority", "routes[]"));
  r.table = PODNET_TRY(opt_int(j, "table", "routes[]"));
  r.scope = PODNET_TRY(opt_int(j, "scope", "routes[]"));
  return r;
}

json to_json(const Result& r, std::string_view version) {
  json j = {{"cniVersion", std::string(version)}};
  if (!r.interfaces.empty()) {
    json ifs = json::array();
    for (const auto& i : r.interfaces) {
      json o = {{"name", i.name}};
      if (!i.mac.empty()) o["mac"] = i.mac;
      if (is_v1_1(version)) {
        if (i.mtu) o["mtu"] = *i.mtu;
        if (!i.socket_path.empty()) o["socketPath"] = i.socket_path;
        if (!i.pci_id.empty()) o["pciID"] = i.pci_id;
      }
      if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
      ifs.push_back(std::move(o));
    }
    j["interfaces"] = std::move(ifs);
  }
  if (!r.ips.empty()) {
    json ips = json::array();
    for (const auto& ip : r.ips) {
      json o;
      if (is_pre_v1(version)) o["version"] = ip.address.is_v4() ? "4" : "6";
      if (ip.interface) o["interface"] = *ip.interface;
      o["address"] = ip.address.str();
      if (ip.gateway) o["gateway"] = ip.gateway->str();
      ips.push_back(std::move(o));
    }
    j["ips"] = std::move(ips);
  }
  if (!r.routes.empty()) {
    json routes = json::array();
    for (const auto& rt : r.routes) routes.push_back(route_to_json(rt, version));
    j["routes"] = std::move(routes);
  }
  j["dns"] = dns_to_json(r.dns);
  return j;
}

std::expected<Result, CniError> result_from_json(const json& j) {
  if (!j.is_object()) return decode_error("result: want a JSON object");
  Result r;
  if (auto it = j.find("interfaces"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return decode_error("interfaces: want a list");
    for (const auto& o : *it) {
      if (!o.is_object()) return decode_error("interfaces[]: want objects");
      Interface i;
      i.name = PODNET_TRY(opt_string(o, "name", "interfaces[]"));
      i.mac = PODNET_TRY(opt_string(o, "mac", "interfaces[]"));
      i.mtu = PODNET_TRY(opt_int(o, "mtu", "interfaces[]"));
      i.sandbox = PODNET_TRY(opt_string(o, "sandbox", "interfaces[]"));
      i.socket_path = PODNET_TRY(opt_string(o, "socketPath", "interfaces[]"));
      i.pci_id = PODNET_TRY(opt_string(o, "pciID", "interfaces[]"));
      r.interfaces.push_back(std::move(i));
    }
  }
  if (auto it = j.find("ips"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return decode_error("ips: want a list");
    for (const auto& o : *it) {
      if (!o.is_object()) return decode_error("ips[]: want objects");
      IpConfig ip;
      auto addr = PODNET_TRY(opt_string(o, "address", "ips[]"));
      auto p = net::Prefix::parse(addr);
      if (!p) return decode_error(fmt::format("ips[].address: invalid CIDR '{}'", addr));
      ip.address = *p;
      auto gw = PODNET_TRY(opt_string(o, "gateway", "ips[]"));
      if (!gw.empty()) {
        auto g = net::IpAddress::parse(gw);
        if (!g) return decode_error(fmt::format("ips[].gateway: invalid IP address '{}'", gw));
        ip.gateway = *g;
      }
      ip.interface = PODNET_TRY(opt_int(o, "interface", "ips[]"));
      if (ip.interface && (*ip.interface < 0 ||
                           static_cast<size_t>(*ip.interface) >= r.interfaces.size()) &&
          !r.interfaces.empty())
        return decode_error(
            fmt::format("ips[].interface: index {} names no interface", *ip.interface));
      r.ips.push_back(std::move(ip));
    }
  }
  if (auto it = j.find("routes"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return decode_error("routes: want a list");
    for (const auto& o : *it) r.routes.push_back(PODNET_TRY(route_from_json(o)));
  }
  if (auto it = j.find("dns"); it != j.end()) r.dns = PODNET_TRY(dns_from_json(*it));
  return r;
}

}  // namespace podnet::cni
