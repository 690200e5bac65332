#include "store_ops.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/agent/local_state.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

Result<ConfigOutcome> load_or_create_config(store::Store& s, const Options& o, bool& invalid) {
  invalid = false;
  ConfigOutcome out;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto cur = PODNET_TRY(s.get(cluster::config_key));
    if (cur) {
      auto c = cluster::parse_config(cur->value);
      if (!c) {
        invalid = true;
        return fail(c.error().context(fmt::format("store key {}", cluster::config_key)));
      }
      out.config = *c;
      out.conflicts = config_conflicts(o, *c);
      return out;
    }
    auto want = config_from_flags(o);
    if (!want) {
      invalid = true;
      return fail(want.error());
    }
    auto r = PODNET_TRY(s.create(cluster::config_key, cluster::to_json(*want).dump()));
    if (r.succeeded) {
      out.config = *want;
      out.created = true;
      return out;
    }
    // Another agent created it first: read theirs.
  }
  return fail(fmt::format("store key {}: created and deleted concurrently", cluster::config_key));
}

Result<Acquired> acquire_subnet(store::Store& s, const cluster::ClusterConfig& c,
                                const std::string& node, const net::IpAddress& ip,
                                const std::optional<net::Prefix>& prefer, store::LeaseId lease) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto listing = PODNET_TRY(s.list(cluster::subnets_prefix));
    std::vector<RawEntry> raw;
    raw.reserve(listing.items.size());
    for (auto& kv : listing.items)
      raw.push_back({std::move(kv.key), std::move(kv.value), kv.mod_revision, kv.lease});
    LeaseListing leases = parse_leases(raw);
    for (const auto& b : leases.bad) log::warn("ignoring subnet lease {}", b);
    std::vector<cluster::SubnetLease> taken;
    taken.reserve(leases.leases.size());
    for (const auto& l : leases.leases) taken.push_back(l.lease);
    // A damaged entry still occupies its key: keep its subnet out of the choice.
    for (const auto& e : raw)
      if (std::none_of(leases.leases.begin(), leases.leases.end(),
                       [&](const LeaseEntry& l) { return l.key == e.key; }))
        if (auto cidr = cluster::subnet_from_key(e.key))
          taken.push_back(cluster::SubnetLease{*cidr, "", net::IpAddress{}});
    auto choice = PODNET_TRY(cluster::choose_subnet(c, taken, node, ip, prefer));
    std::string key = cluster::subnet_key(choice.subnet);
    std::string value = cluster::to_json(cluster::SubnetLease{choice.subnet, node, ip}).dump();
    store::CondResult r;
    if (choice.source == cluster::SubnetChoice::Source::held) {
      auto it = std::find_if(leases.leases.begin(), leases.leases.end(),
                             [&](const LeaseEntry& e) { return e.key == key; });
      long long rev = it == leases.leases.end() ? 0 : it->mod_revision;
      if (it != leases.leases.end() && it->lease_id == lease && it->lease.node == node &&
          it->lease.internalIP == ip)
        return Acquired{choice.subnet, choice.source};
      r = PODNET_TRY(s.compare_and_swap(key, value, rev, lease));
    } else {
      r = PODNET_TRY(s.create(key, value, lease));
    }
    if (r.succeeded) return Acquired{choice.subnet, choice.source};
    log::debug("subnet {} taken concurrently, choosing again", choice.subnet.str());
  }
  return fail("subnet lease: lost the race 64 times in a row; giving up");
}

}  // namespace podnet::agent
