#include "podnet/common/json_bounded.hpp"
#include "podnet/agent/local_state.hpp"

#include <fmt/format.h>

namespace podnet::agent {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<net::Prefix> parse_subnet_state(std::string_view text) {
  auto p = net::Prefix::parse(trim(text));
  if (!p || p->masked() != *p) return std::nullopt;
  return p;
}

std::optional<sys::Mac> parse_mac_state(std::string_view text) {
  auto m = sys::Mac::parse(trim(text));
  if (!m || !m->is_valid_unicast()) return std::nullopt;
  return m;
}

sys::Mac default_vtep_mac(std::string_view node) {
  return sys::Mac::from_seed(fmt::format("podnet-vtep/{}", node));
}

LeaseListing parse_leases(const std::vector<RawEntry>& entries) {
  LeaseListing out;
  for (const auto& e : entries) {
    auto j = parse_json_bounded(e.value, json_default_max_depth, json_default_max_bytes, e.key);
    if (!j) {
      out.bad.push_back(j.error().message);
      continue;
    }
    auto l = cluster::lease_from_json(*j);
    if (!l) {
      out.bad.push_back(fmt::format("{}: {}", e.key, l.error().message));
      continue;
    }
    auto from_key = cluster::subnet_from_key(e.key);
    if (!from_key || *from_key != l->cidr) {
      out.bad.push_back(
          fmt::format("{}: spec.cidr {} does not match the key", e.key, l->cidr.str()));
      continue;
    }
    out.leases.push_back({e.key, *l, e.mod_revision, e.lease_id});
  }
  return out;
}

}  // namespace podnet::agent
