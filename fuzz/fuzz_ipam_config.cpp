// podnet-ipam's configuration: parse_netconf → parse_location / parse_ipam_config. Input:
// an optional first line "CNI_ARGS=..." (the requested-IP source from the environment),
// then the network configuration. What the parser accepts must be a consistent pool:
// ranges inside their masked subnets, one family per set, no overlaps, something to hand
// out, requested addresses allocatable in their set; and host-local's iteration over each
// set must yield only allocatable addresses and stop after visiting each once.
#include <set>

#include "fuzz_common.hpp"
#include "podnet/cni/env.hpp"
#include "podnet/cni/netconf.hpp"
#include "podnet/ipam/config.hpp"
#include "podnet/ipam/range.hpp"

using namespace podnet;
using namespace podnet::ipam;
using nlohmann::json;

namespace {

void check_range(const Range& r) {
  const std::string& f = r.field;
  FUZZ_CHECK(r.subnet == r.subnet.masked(), f + ": " + r.subnet.str());
  FUZZ_CHECK(r.subnet.length() <= r.subnet.address().bits() - 2, f + ": " + r.subnet.str());
  for (const auto* ip : {&r.start, &r.end, &r.gateway}) {
    FUZZ_CHECK(ip->family() == r.subnet.family(), f + ": " + ip->str());
    FUZZ_CHECK(r.subnet.contains(*ip), f + ": " + ip->str() + " outside " + r.subnet.str());
  }
  FUZZ_CHECK(r.start <= r.end, f);
}

// Walks a set as the allocator does; bounded, since IPv6 sets are huge.
void check_iteration(const RangeSet& set, const std::optional<net::IpAddress>& last) {
  constexpr uint64_t kSteps = 300;
  const uint64_t count = set.allocatable_count();
  RangeIter it(set, last);
  std::set<net::IpAddress> seen;
  uint64_t n = 0;
  for (; n < kSteps; ++n) {
    auto c = it.next();
    if (!c) break;
    FUZZ_CHECK(c->range->allocatable(c->ip), set.field + ": " + c->ip.str() + " not allocatable");
    FUZZ_CHECK(set.range_for(c->ip) == c->range, set.field + ": " + c->ip.str());
    FUZZ_CHECK(seen.insert(c->ip).second, set.field + ": " + c->ip.str() + " yielded twice");
  }
  if (count < kSteps)
    FUZZ_CHECK(n == count, set.field + ": yielded " + std::to_string(n) + " of " +
                               std::to_string(count) + " allocatable addresses");
  else
    FUZZ_CHECK(n == kSteps, set.field + ": stopped after " + std::to_string(n) + " of " +
                                std::to_string(count));
}

void check_config(const IpamConfig& c) {
  FUZZ_CHECK(!c.range_sets.empty());
  FUZZ_CHECK(c.requested.size() == c.range_sets.size());
  for (size_t i = 0; i < c.range_sets.size(); ++i) {
    const RangeSet& s = c.range_sets[i];
    FUZZ_CHECK(!s.ranges.empty(), s.field);
    FUZZ_CHECK(s.allocatable_count() > 0, s.field);
    for (size_t k = 0; k < s.ranges.size(); ++k) {
      check_range(s.ranges[k]);
      FUZZ_CHECK(s.ranges[k].subnet.family() == s.family(), s.ranges[k].field);
      for (size_t m = 0; m < k; ++m)
        FUZZ_CHECK(!s.ranges[k].overlaps(s.ranges[m]), s.ranges[k].field);
    }
    for (size_t j = 0; j < i; ++j) FUZZ_CHECK(!s.overlaps(c.range_sets[j]), s.field);
    if (c.requested[i]) {
      const Range* r = s.range_for(*c.requested[i]);
      FUZZ_CHECK(r && r->allocatable(*c.requested[i]), s.field + ": " + c.requested[i]->str());
    }
    check_iteration(s, std::nullopt);
    check_iteration(s, s.ranges.back().end);
    if (c.requested[i]) check_iteration(s, c.requested[i]);
  }
  for (const auto& rt : c.routes)
    if (rt.gw) FUZZ_CHECK(rt.gw->family() == rt.dst.family(), rt.dst.str());
}

// Integer route fields keep the document's value (no silent truncation).
void check_route_ints(const json& ipam, const IpamConfig& c) {
  const json& routes = ipam.at("routes");
  FUZZ_CHECK(routes.size() == c.routes.size());
  for (size_t i = 0; i < c.routes.size(); ++i) {
    const auto& rt = c.routes[i];
    const std::pair<const char*, const std::optional<int>*> fields[] = {
        {"mtu", &rt.mtu}, {"advmss", &rt.advmss}, {"priority", &rt.priority},
        {"table", &rt.table}, {"scope", &rt.scope}};
    for (const auto& [key, got] : fields) {
      auto it = routes[i].find(key);
      if (it == routes[i].end() || it->is_null()) {
        FUZZ_CHECK(!*got, key);
        continue;
      }
      FUZZ_CHECK(*got && (it->is_number_unsigned()
                              ? static_cast<uint64_t>(**got) == it->get<uint64_t>()
                              : static_cast<int64_t>(**got) == it->get<int64_t>()),
                 std::string(key) + " decoded as " + std::to_string(got->value_or(0)) +
                     " from " + podnet_fuzz::show(*it));
    }
  }
  FUZZ_CHECK(!c.location.data_dir.empty() && !c.location.network.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = podnet_fuzz::as_text(data, size);
  CniArgs args;
  constexpr std::string_view kArgs = "CNI_ARGS=";
  if (in.starts_with(kArgs)) {
    auto nl = in.find('\n');
    auto raw = in.substr(kArgs.size(), nl == std::string_view::npos ? nl : nl - kArgs.size());
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    auto parsed = cni::parse_cni_args(raw);
    if (!parsed) return 0;
    args = std::move(*parsed);
  }
  auto net = cni::parse_netconf(in);
  if (!net) return 0;
  auto loc = parse_location(*net);
  auto conf = parse_ipam_config(*net, args);
  if (!loc) {
    FUZZ_CHECK(!conf, "parse_ipam_config accepted what parse_location rejects");
    return 0;
  }
  FUZZ_CHECK(loc->network == net->name);
  FUZZ_CHECK(loc->network != "." && loc->network != ".." &&
                 loc->network.find('/') == std::string::npos,
             loc->network);
  // Both end up in paths handed to the kernel, where a NUL would silently cut them short.
  FUZZ_CHECK(loc->network.find('\0') == std::string::npos, "network name with a NUL byte");
  FUZZ_CHECK(loc->data_dir.find('\0') == std::string::npos, "ipam.dataDir with a NUL byte");
  if (!conf) {
    auto code = conf.error().code;
    FUZZ_CHECK(code == cni::Code::invalid_config || code == cni::Code::invalid_env,
               conf.error().msg);
    return 0;
  }
  FUZZ_CHECK(conf->location.dir() == loc->dir());
  check_config(*conf);
  if (!conf->routes.empty()) check_route_ints(net->ipam, *conf);
  return 0;
}
