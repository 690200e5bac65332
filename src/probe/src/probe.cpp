// run_probe: trace tables and monitors in every namespace, one packet, the events read back.
#include "podnet/probe/probe.hpp"

#include <net/if.h>
#include <poll.h>

#include <chrono>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <linux/netfilter/nf_tables.h>

#include "interrupt_watch.hpp"
#include "podnet/probe/probe_lock.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/nft/nft_context.hpp"
#include "podnet/probe/trace_rules.hpp"
#include "podnet/sys/netns.hpp"
#include "probe_socket.hpp"
#include "trace_collector.hpp"
#include "trace_monitor.hpp"

namespace podnet::probe {

namespace {

using namespace std::chrono_literals;
std::string netns_path(const std::string& s) {
  return s.find('/') == std::string::npos ? "/var/run/netns/" + s : s;
}

std::string label_of(const ProbeNamespace& n) {
  return n.label.empty() ? n.netns : n.label;
}

// One traced namespace: its trace table (removed when this ends, whatever happened), and its own
// trace socket when the collector (trace_collector.hpp) could not be set up.
struct Traced {
  std::string label;
  sys::Netns ns;
  std::optional<TraceMonitor> monitor;
  bool table = false;
  RulesetIndex rules;
  std::map<uint32_t, std::string> ifnames;

  Traced(std::string l, sys::Netns n) : label(std::move(l)), ns(std::move(n)) {}
  Traced(Traced&& o) noexcept
      : label(std::move(o.label)),
        ns(std::move(o.ns)),
        monitor(std::move(o.monitor)),
        table(std::exchange(o.table, false)),
        rules(std::move(o.rules)),
        ifnames(std::move(o.ifnames)) {}
  Traced& operator=(Traced&&) = delete;
  ~Traced() {
    if (!table) return;
    // Best effort on the error path: nothing to report to, and the next probe removes a leftover.
    (void)sys::run_in(ns, [] {
      if (auto ctx = nft::NftContext::create()) (void)ctx->run(remove_table_commands());
    });
  }
};

Result<> setup(Traced& t, const ProbeMatch& m, bool own_monitor) {
  auto r = sys::run_in(t.ns, [&]() -> Result<std::optional<TraceMonitor>> {
    std::optional<TraceMonitor> mon;
    if (own_monitor) mon.emplace(PODNET_TRY(TraceMonitor::open_here()));
    auto ctx = PODNET_TRY(nft::NftContext::create());
    PODNET_TRY_VOID(ctx.run(trace_table_commands(m)));
    return mon;
  });
  if (!r) return fail(r.error().context(fmt::format("trace in {} ({})", t.label, t.ns.path())));
  t.monitor = std::move(*r);
  t.table = true;
  return {};
}

// Reads the rules' text and the interfaces' names, then deletes the table: one thread in ns.
Result<> finish(Traced& t, const std::vector<uint32_t>& ifindexes) {
  auto r = sys::run_in(t.ns, [&]() -> Result<> {
    auto ctx = PODNET_TRY(nft::NftContext::create());
    PODNET_TRY_VOID(ctx.show_handles());
    if (!ifindexes.empty()) {  // it saw events
      // Rule text is a help, not the report: a listing nft cannot print leaves handles only.
      if (auto listing = ctx.run("list ruleset")) t.rules = parse_ruleset(*listing);
    }
    for (uint32_t i : ifindexes) {
      char name[IF_NAMESIZE] = {};
      t.ifnames[i] = if_indextoname(i, name) ? name : fmt::format("if#{}", i);
    }
    PODNET_TRY_VOID(ctx.run(delete_table_commands()));
    return {};
  });
  if (!r) return fail(r.error().context(fmt::format("trace in {} ({})", t.label, t.ns.path())));
  t.table = false;
  return {};
}

TraceEvent to_event(const Traced& t, const RawTrace& r) {
  TraceEvent e;
  e.ns = t.label;
  e.trace_id = r.id;
  e.family = family_name(r.family);
  e.table = r.table;
  e.chain = r.chain;
  e.hook = t.rules.hook_of(e.family, e.table, e.chain);
  e.kind = r.type == NFT_TRACETYPE_POLICY   ? TraceEvent::Kind::policy
           : r.type == NFT_TRACETYPE_RETURN ? TraceEvent::Kind::return_
                                            : TraceEvent::Kind::rule;
  e.rule_handle = r.rule_handle;
  if (e.kind == TraceEvent::Kind::rule)
    if (auto* text = t.rules.rule_text(e.family, e.table, e.chain, r.rule_handle))
      e.rule_text = *text;
  e.verdict = r.has_verdict ? verdict_name(r.verdict, r.jump_target) : "";
  auto ifname = [&](uint32_t i) -> std::string {
    if (!i) return "";
    auto it = t.ifnames.find(i);
    return it != t.ifnames.end() ? it->second : fmt::format("if#{}", i);
  };
  e.iif = ifname(r.iif);
  e.oif = ifname(r.oif);
  e.packet = decode_packet(r.nfproto, r.network, r.transport);
  return e;
}

using RawEvents = std::vector<std::pair<size_t, RawTrace>>;  // namespace index, event

bool request_dropped(const RawEvents& raw, size_t from, Protocol proto, uint16_t port) {
  for (size_t i = from; i < raw.size(); ++i) {
    const auto& [ns, r] = raw[i];
    if (!r.has_verdict || r.verdict < 0 || (r.verdict & 0xff) != 0) continue;
    // The headers are in the first event of this packet's pass through the base chain; a drop
    // in a chain it jumped to (service-checks) carries none: the latest event of the packet in
    // the same table that has them is that pass.
    for (size_t j = i + 1; j-- > 0;) {
      const auto& [pns, p] = raw[j];
      if (pns != ns || p.id != r.id || p.table != r.table || p.network.empty()) continue;
      if (classify(decode_packet(p.nfproto, p.network, p.transport), proto, port) ==
          Direction::request)
        return true;
      break;
    }
  }
  return false;
}

Result<ProbeReport> probe_watched(const ProbeSpec& spec, InterruptWatch& watch) {
  PODNET_TRY_VOID(validate(spec));
  auto interrupted = [&]() -> Result<> {
    if (int sig = watch.signal())
      return fail(
          Error::from_errno(EINTR, fmt::format("trace probe interrupted by signal {}", sig)));
    return {};
  };
  // Held until every table is gone: declared before the Traced that remove them.
  auto lock = PODNET_TRY(ProbeLock::acquire(kProbeLockPath, spec.timeout + 10s, interrupted));
  auto dst = *net::IpAddress::parse(spec.destination);
  std::optional<net::IpAddress> src;
  if (!spec.source_address.empty()) src = net::IpAddress::parse(spec.source_address);

  auto source_ns = sys::Netns::open(netns_path(spec.source.netns));
  if (!source_ns) return fail(source_ns.error().context("trace source " + label_of(spec.source)));
  std::vector<std::pair<std::string, sys::Netns>> listed;
  bool source_listed = false;
  for (const auto& n : spec.namespaces) {
    auto ns = sys::Netns::open(netns_path(n.netns));
    if (!ns) return fail(ns.error().context("trace namespace " + label_of(n)));
    bool dup = false;
    for (const auto& l : listed) dup = dup || l.second.same_as(*ns);
    if (dup) continue;
    source_listed = source_listed || ns->same_as(*source_ns);
    listed.emplace_back(label_of(n), std::move(*ns));
  }
  std::vector<Traced> traced;
  traced.reserve(listed.size() + 1);
  if (!source_listed)
    traced.emplace_back(label_of(spec.source),
                        PODNET_TRY(sys::Netns::open(netns_path(spec.source.netns))));
  for (auto& [label, ns] : listed) traced.emplace_back(label, std::move(ns));

  auto sock = PODNET_TRY(ProbeSocket::open_in(*source_ns, spec.protocol, src, dst, spec.port));
  ProbeMatch match{spec.protocol, sock.match_port()};
  // One socket for all namespaces when possible: their events in the order they happened.
  std::vector<const sys::Netns*> all;
  for (const auto& t : traced) all.push_back(&t.ns);
  auto collector = TraceCollector::open(all);
  for (auto& t : traced) {
    PODNET_TRY_VOID(interrupted());
    PODNET_TRY_VOID(setup(t, match, !collector));
  }
  PODNET_TRY_VOID(interrupted());

  ProbeReport report;
  report.protocol = spec.protocol;
  report.destination = dst.str();
  report.destination_port = spec.protocol == Protocol::icmp ? 0 : spec.port;
  report.source_port = match.port;
  for (const auto& t : traced) report.namespaces.push_back(t.label);

  RawEvents raw;
  auto drain_all = [&]() -> Result<bool> {  // true: a request was dropped
    size_t before = raw.size();
    if (collector) {
      if (auto r = collector->drain(raw); !r) return fail(r.error().context("trace"));
    } else {
      for (size_t i = 0; i < traced.size(); ++i) {
        std::vector<RawTrace> got;
        if (auto r = traced[i].monitor->drain(got); !r)
          return fail(r.error().context("trace in " + traced[i].label));
        for (auto& e : got) raw.emplace_back(i, std::move(e));
      }
    }
    return request_dropped(raw, before, spec.protocol, match.port);
  };

  std::optional<Answer> answer = sock.send();
  auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  while (!answer) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    std::vector<pollfd> fds;
    fds.push_back({watch.fd(), POLLIN, 0});
    fds.push_back({sock.fd(), sock.poll_events(), 0});
    if (collector)
      fds.push_back({collector->fd(), POLLIN, 0});
    else
      for (auto& t : traced) fds.push_back({t.monitor->fd(), POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1);
    if (n < 0 && errno != EINTR) return fail_errno("wait for the probe");
    PODNET_TRY_VOID(interrupted());
    if (n <= 0) continue;
    if (fds[1].revents) answer = sock.on_ready(fds[1].revents);
    // A dropped request is final: waiting on would only see TCP's retransmissions.
    if (PODNET_TRY(drain_all())) break;
  }
  // Events of the path are queued before the answer reaches the socket: one last read has them.
  PODNET_TRY_VOID(drain_all());
  report.answer = answer.value_or(Answer{});
  report.source = src ? src->str() : sock.local_address();

  for (size_t i = 0; i < traced.size(); ++i) {
    std::vector<uint32_t> ifindexes;
    for (const auto& [ns, r] : raw)
      if (ns == i)
        for (uint32_t ifi : {r.iif, r.oif})
          if (ifi) ifindexes.push_back(ifi);
    PODNET_TRY_VOID(finish(traced[i], ifindexes));
  }
  for (const auto& [ns, r] : raw) report.events.push_back(to_event(traced[ns], r));
  complete_events(report.events, spec.protocol, match.port);
  // An unbound raw socket has no local address: the packet's own says what the kernel chose.
  auto chosen = net::IpAddress::parse(report.source);
  if (!chosen || chosen->is_unspecified())
    for (const auto& e : report.events)
      if (e.direction == Direction::request && !e.packet.src.empty()) {
        report.source = e.packet.src;
        break;
      }
  report.verdict = assemble_verdict(report.events, report.answer);
  return report;
}
}  // namespace

Result<> validate(const ProbeSpec& spec) {
  if (spec.source.netns.empty()) return fail("trace probe: source namespace is empty");
  auto dst = net::IpAddress::parse(spec.destination);
  if (!dst)
    return fail(
        fmt::format("trace probe: destination \"{}\" is not an IP address", spec.destination));
  if (!spec.source_address.empty()) {
    auto src = net::IpAddress::parse(spec.source_address);
    if (!src)
      return fail(fmt::format("trace probe: source address \"{}\" is not an IP address",
                              spec.source_address));
    if (src->family() != dst->family())
      return fail(fmt::format("trace probe: source {} and destination {} differ in family",
                              spec.source_address, spec.destination));
  }
  if (spec.protocol != Protocol::icmp && spec.port == 0)
    return fail(fmt::format("trace probe: {} needs a destination port", to_string(spec.protocol)));
  if (spec.timeout.count() <= 0) return fail("trace probe: timeout must be positive");
  for (const auto& n : spec.namespaces)
    if (n.netns.empty())
      return fail(fmt::format("trace probe: namespace \"{}\" has no path", n.label));
  return {};
}

Result<ProbeReport> run_probe(const ProbeSpec& spec) {
  auto watch = PODNET_TRY(InterruptWatch::install());
  auto r = probe_watched(spec, *watch);
  // Every table is gone here (Traced's destructors ran); a signal that came meanwhile may now
  // end the process.
  watch->finish();
  return r;
}

Result<> remove_stale_trace_table(const std::string& netns) {
  auto ns = PODNET_TRY(sys::Netns::open(netns_path(netns)));
  auto r = sys::run_in(ns, []() -> Result<> {
    auto ctx = PODNET_TRY(nft::NftContext::create());
    PODNET_TRY_VOID(ctx.run(remove_table_commands()));
    return {};
  });
  if (!r) return fail(r.error().context("remove trace table in " + netns));
  return {};
}

}  // namespace podnet::probe
