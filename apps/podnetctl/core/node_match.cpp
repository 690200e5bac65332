#include "core/node_match.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

namespace podnet::ctl {

std::string_view to_string(EntryState s) {
  switch (s) {
    case EntryState::present:
      return "present";
    case EntryState::missing:
      return "missing";
    case EntryState::different:
      return "different";
    case EntryState::stale:
      return "stale";
  }
  return "?";
}

namespace {

std::string dev_name(int ifindex, const LinkNames& names) {
  auto it = names.find(ifindex);
  return it == names.end() ? fmt::format("if{}", ifindex) : it->second;
}

// `ip neigh`'s state words, most telling first (a state is one of these bits).
std::string nud_text(uint16_t state) {
  static const std::pair<uint16_t, const char*> words[] = {
      {NUD_PERMANENT, "PERMANENT"}, {NUD_NOARP, "NOARP"},          {NUD_REACHABLE, "REACHABLE"},
      {NUD_STALE, "STALE"},         {NUD_DELAY, "DELAY"},          {NUD_PROBE, "PROBE"},
      {NUD_FAILED, "FAILED"},       {NUD_INCOMPLETE, "INCOMPLETE"}};
  std::string s;
  for (const auto& [bit, word] : words)
    if (state & bit) s += (s.empty() ? "" : " ") + std::string(word);
  return s.empty() ? "NONE" : s;
}

bool is_main_table(uint32_t t) {
  return t == 0 || t == RT_TABLE_MAIN;
}

// The wanted route with the VTEP's ifindex filled in, as routes::diff compares it.
sys::Route wanted_route(const sys::Route& r, const routes::WantedState& w, int vtep) {
  sys::Route out = r;
  if (w.backend == routes::Backend::vxlan && out.ifindex == 0) out.ifindex = vtep;
  return out;
}

}  // namespace

std::string route_text(const sys::Route& r, const LinkNames& names) {
  std::string s = r.dst.length() == 0 ? "default" : r.dst.masked().str();
  if (r.type == RTN_BLACKHOLE) s = "blackhole " + s;
  if (r.gw) s += " via " + r.gw->str();
  if (r.ifindex) s += " dev " + dev_name(r.ifindex, names);
  if (r.protocol != RTPROT_BOOT) s += fmt::format(" proto {}", r.protocol);
  if (r.scope && *r.scope == RT_SCOPE_LINK) s += " scope link";
  if (r.onlink) s += " onlink";
  if (r.mtu) s += fmt::format(" mtu {}", *r.mtu);
  if (!is_main_table(r.table)) s += fmt::format(" table {}", r.table);
  return s;
}

std::string neigh_text(const sys::Neigh& n, const LinkNames& names) {
  std::string s = n.ip.str() + " dev " + dev_name(n.ifindex, names);
  if (n.mac) s += " lladdr " + n.mac->str();
  return s + " " + nud_text(n.state);
}

std::string fdb_text(const sys::FdbEntry& e, const LinkNames& names) {
  std::string s = e.mac.str() + " dev " + dev_name(e.ifindex, names);
  if (e.dst) s += " dst " + e.dst->str();
  if (e.flags & NTF_SELF) s += " self";
  if (e.state & NUD_PERMANENT) s += " permanent";
  return s;
}

NodeMatch match_node(const routes::WantedState& wanted, const std::vector<routes::Peer>& peers,
                     const routes::CurrentState& current, const LinkNames& names_in) {
  NodeMatch out;
  const int vtep = current.vtep_ifindex;
  LinkNames names = names_in;
  // Without a VTEP the planned entries still name it.
  constexpr int kNoVtep = -1;
  if (wanted.vtep) names.emplace(vtep ? vtep : kNoVtep, wanted.vtep->name);
  const bool vtep_missing = wanted.vtep && vtep == 0;
  const auto actions = routes::diff(wanted, current);

  auto action_for = [&](routes::Object obj, auto&& same) -> const routes::Action* {
    for (const auto& a : actions)
      if (a.object == obj && a.op != routes::Op::remove && same(a)) return &a;
    return nullptr;
  };
  auto state_of = [](const routes::Action* a, bool have) {
    if (!a) return EntryState::present;
    return a->op == routes::Op::add || !have ? EntryState::missing : EntryState::different;
  };

  for (const auto& p : peers) {
    const net::Prefix cidr = p.pod_cidr.masked();
    auto wr = std::find_if(wanted.routes.begin(), wanted.routes.end(),
                           [&](const sys::Route& r) { return r.dst.masked() == cidr; });
    if (wr == wanted.routes.end()) continue;  // not planned (the plan skipped it)
    PeerMatch pm{.name = p.name,
                 .internal_ip = p.internal_ip.str(),
                 .pod_cidr = cidr.str(),
                 .direct = wr->ifindex != 0};

    // The route (ours: protocol 80, main table, as diff sees them).
    sys::Route want = wanted_route(*wr, wanted, vtep ? vtep : kNoVtep);
    auto cur = std::find_if(current.routes.begin(), current.routes.end(), [&](const auto& r) {
      return r.protocol == routes::kRouteProtocol && is_main_table(r.table) &&
             r.dst.masked() == cidr;
    });
    const bool have_route = cur != current.routes.end();
    const auto* ra = action_for(routes::Object::route,
                                [&](const auto& a) { return a.route.dst.masked() == cidr; });
    pm.rows.push_back({.kind = "route",
                       .state = state_of(ra, have_route),
                       .expected = route_text(want, names),
                       .actual = have_route ? route_text(*cur, names) : ""});

    if (!pm.direct && p.vtep_mac) {
      const net::IpAddress gw = cidr.network();
      const int dev = vtep ? vtep : kNoVtep;
      // The neighbour: remote subnet address -> remote VTEP MAC, permanent.
      sys::Neigh nw{.ifindex = dev, .ip = gw, .mac = *p.vtep_mac, .state = NUD_PERMANENT};
      auto cn = std::find_if(current.neighs.begin(), current.neighs.end(),
                             [&](const sys::Neigh& n) { return n.ip == gw; });
      const bool have_neigh = cn != current.neighs.end();
      const auto* na =
          action_for(routes::Object::neigh, [&](const auto& a) { return a.neigh.ip == gw; });
      pm.rows.push_back({.kind = "neigh",
                         .state = vtep_missing ? EntryState::missing : state_of(na, have_neigh),
                         .expected = neigh_text(nw, names),
                         .actual = have_neigh ? neigh_text(*cn, names) : ""});

      // The FDB entry: remote VTEP MAC -> remote underlay address, permanent.
      sys::FdbEntry fw{.ifindex = dev,
                       .mac = *p.vtep_mac,
                       .dst = p.internal_ip,
                       .state = NUD_PERMANENT,
                       .flags = NTF_SELF};
      std::string got;
      for (const auto& e : current.fdb)
        if (e.dst && e.mac == *p.vtep_mac) got += (got.empty() ? "" : "; ") + fdb_text(e, names);
      const auto* fa =
          action_for(routes::Object::fdb, [&](const auto& a) { return a.fdb.mac == *p.vtep_mac; });
      pm.rows.push_back({.kind = "fdb",
                         .state = vtep_missing ? EntryState::missing : state_of(fa, !got.empty()),
                         .expected = fdb_text(fw, names),
                         .actual = got});
    }
    out.peers.push_back(std::move(pm));
  }

  // What podnetd would remove: podnet-owned entries that no store entry explains.
  for (const auto& a : actions) {
    if (a.op != routes::Op::remove) continue;
    EntryRow row{.kind = "", .state = EntryState::stale};
    switch (a.object) {
      case routes::Object::route:
        row.kind = "route";
        row.actual = route_text(a.route, names);
        break;
      case routes::Object::neigh: {
        row.kind = "neigh";
        auto cn = std::find_if(current.neighs.begin(), current.neighs.end(),
                               [&](const sys::Neigh& n) { return n.ip == a.neigh.ip; });
        row.actual = cn != current.neighs.end()
                         ? neigh_text(*cn, names)
                         : a.neigh.ip.str() + " dev " + dev_name(a.ifindex, names);
        break;
      }
      case routes::Object::fdb: {
        row.kind = "fdb";
        auto ce = std::find_if(current.fdb.begin(), current.fdb.end(), [&](const auto& e) {
          return e.mac == a.fdb.mac && e.dst == a.fdb.dst;
        });
        row.actual = ce != current.fdb.end() ? fdb_text(*ce, names)
                                             : a.fdb.mac.str() + " dst " + a.fdb.dst.str();
        break;
      }
    }
    out.stale.push_back(std::move(row));
  }
  return out;
}

std::vector<EntryRow> match_vtep(const sys::VxlanSpec& want, const net::Prefix& want_addr,
                                 const VtepFacts& got, const LinkNames& names) {
  std::vector<EntryRow> rows;
  if (!got.exists) {
    rows.push_back({.kind = "vtep",
                    .state = EntryState::missing,
                    .expected = fmt::format("{} vxlan id {}", want.name, want.vni),
                    .actual = ""});
    return rows;
  }
  auto row = [&](bool same, std::string expected, std::string actual) {
    rows.push_back({.kind = "vtep",
                    .state = same ? EntryState::present : EntryState::different,
                    .expected = std::move(expected),
                    .actual = std::move(actual)});
  };
  auto opt = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string("?"); };
  row(got.kind == "vxlan", "type vxlan", "type " + (got.kind.empty() ? "?" : got.kind));
  row(got.vni == want.vni, fmt::format("id {}", want.vni), "id " + opt(got.vni));
  row(got.port == want.port, fmt::format("dstport {}", want.port), "dstport " + opt(got.port));
  row(got.local == want.local, "local " + (want.local ? want.local->str() : "any"),
      "local " + (got.local ? got.local->str() : "any"));
  if (want.dev != 0)
    row(got.dev && int(*got.dev) == want.dev, "dev " + dev_name(want.dev, names),
        "dev " + (got.dev ? dev_name(int(*got.dev), names) : "?"));
  if (want.mac) row(got.mac == want.mac->str(), "address " + want.mac->str(), "address " + got.mac);
  if (want.mtu)
    row(got.mtu == want.mtu, fmt::format("mtu {}", want.mtu), fmt::format("mtu {}", got.mtu));
  row(got.up, "UP", got.up ? "UP" : "DOWN");
  bool have_addr = std::find(got.addrs.begin(), got.addrs.end(), want_addr) != got.addrs.end();
  row(have_addr, "inet " + want_addr.str(), have_addr ? "inet " + want_addr.str() : "");
  if (!have_addr) rows.back().state = EntryState::missing;
  for (const auto& a : got.addrs)
    if (a != want_addr)
      rows.push_back({.kind = "vtep",
                      .state = EntryState::stale,
                      .expected = "",
                      .actual = "inet " + a.str()});
  return rows;
}

std::vector<std::string> rule_lines(std::string_view nft_text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(nft_text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string w, norm;
    while (words >> w) norm += (norm.empty() ? "" : " ") + w;
    if (norm.empty() || norm == "}" || norm.starts_with("table ") || norm.starts_with("chain ") ||
        norm.starts_with("type ") || norm.starts_with("add ") || norm.starts_with("delete ") ||
        norm.starts_with("flush ") || norm.starts_with("policy "))
      continue;
    out.push_back(std::move(norm));
  }
  return out;
}

std::vector<EntryRow> match_rules(std::string_view planned_text, std::string_view listed_text) {
  std::vector<std::string> want = rule_lines(planned_text), have = rule_lines(listed_text);
  std::vector<EntryRow> rows;
  for (const auto& w : want) {
    auto it = std::find(have.begin(), have.end(), w);
    const bool found = it != have.end();
    rows.push_back({.kind = "rule",
                    .state = found ? EntryState::present : EntryState::missing,
                    .expected = w,
                    .actual = found ? w : ""});
    if (found) have.erase(it);
  }
  for (auto& h : have)
    rows.push_back(
        {.kind = "rule", .state = EntryState::stale, .expected = "", .actual = std::move(h)});
  return rows;
}

bool all_present(const std::vector<EntryRow>& rows) {
  return std::all_of(rows.begin(), rows.end(),
                     [](const EntryRow& r) { return r.state == EntryState::present; });
}

bool all_present(const NodeMatch& m) {
  return m.stale.empty() && std::all_of(m.peers.begin(), m.peers.end(),
                                        [](const PeerMatch& p) { return all_present(p.rows); });
}

}  // namespace podnet::ctl
