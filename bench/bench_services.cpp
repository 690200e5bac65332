// Service proxy at scale: podnet's proxier (nftables maps) against kube-proxy's iptables layout
// (iptables-restore, full and partial sync) and kube-proxy's nftables layout (chain per service
// and endpoint, nft -f), for N Services with 2 endpoints each, each measurement in fresh
// namespaces; plus the kernel's own share (nft -f of only the map elements) to judge against.
//
//   bench_services [--sizes 100,1000,10000,30000] [--full] [--only podnet|iptables|nft]
//                  [--rounds K] [--connects C] [--e2e] [--e2e-services N] [--e2e-only]
//                  [--e2e-changes K]
//     --e2e       also end to end in a 2-node lab: apply -f of N Services (default 10000) until
//                 the last answers, and a one-Service change, against kube-proxy's iptables
//     --e2e-only  only that
//     --e2e-changes K  one-Service changes in the e2e series (default 100): their times until
//                 each answers, and podnetd's programming latency p50/p99 from its /metrics
//     --full      also kube-proxy's nftables layout at 30000 (435 s measured earlier)
//     --rounds K  one-service updates per size (median; default 7)
//     --connects  measured connects per latency figure (default 1000)
//     --iptables-restore BIN  default iptables-legacy-restore; iptables-restore = nf_tables
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "kube_proxy_layouts.hpp"
#include "netns_spawn.hpp"
#include "podnet/testing/netns_fixture.hpp"
#include "service_set.hpp"
#include "service_topology.hpp"
#include "services_e2e.hpp"
#include "services_podnet.hpp"

using namespace podnet::bench;

namespace {

// One table cell: a value or why there is none.
struct Cell {
  std::optional<double> v;
  std::string note;
};

struct Row {
  Cell full_s, update_ms, conn_med, conn_p99;
  Cell full_sys_s;  // the tool's kernel time during the full load
  Cell full_cpu_s;  // user + system CPU of the full load: what it costs without waiting for a core
};

struct SizeResult {
  int n = 0;
  std::map<std::string, Row> by;  // "podnet", "iptables", "nft"
  Cell floor_s, floor_wall_s;
  Cell hwm_mb, rss_mb, heap_mb;
};

struct Options {
  std::vector<int> sizes{100, 1000, 10000, 30000};
  bool full = false, e2e = false;
  std::string only;
  int rounds = 7, connects = 1000;
  int e2e_services = 10000, e2e_changes = 100;
};

std::string tmp_file(const std::string& what) {
  return fmt::format("/tmp/pnbench-svc-{}-{}", getpid(), what);
}

// The file a tool reads, removed afterwards.
struct TmpText {
  std::string path;
  TmpText(const std::string& what, const std::string& text) : path(tmp_file(what)) {
    write_file(path, text);
  }
  ~TmpText() { std::remove(path.c_str()); }
};

// kube-proxy's invocation. The binary (--iptables-restore) defaults to iptables-legacy-restore:
// the system's iptables-restore (nf_tables, 1.8.9) is quadratic in user space on this layout
// (1000 services 1.9 s, 2000 6.8 s), so the legacy backend is the faster, fairer baseline.
std::vector<std::string> kIptRestore = {
    "iptables-legacy-restore", "-w", "5", "-W", "100000", "--noflush", "--counters"};
const std::vector<std::string> kNft = {"nft", "-f", "-"};

size_t changed_index(const std::vector<BenchService>& s) {
  return s.size() / 2;
}

// Round r's one-service change: endpoint 2 of the middle service moves to a fresh address.
std::vector<SvcEndpoint> next_endpoints(const BenchService& s, int r) {
  return {s.endpoints[0], spare_endpoint(r)};
}

void set_connect(Row& row, const ConnectStats& c) {
  if (c.ok == 0) {
    row.conn_med.note = row.conn_p99.note = "failed: " + c.first_error;
    return;
  }
  row.conn_med.v = c.median_ms;
  row.conn_p99.v = c.p99_ms;
  if (c.failed)
    row.conn_med.note =
        fmt::format("{} of {} failed: {}", c.failed, c.failed + c.ok, c.first_error);
}

Row measure_iptables(std::vector<BenchService> svcs, const Options& o) {
  Row row;
  ServiceTopology topo(podnet::testing::unique_prefix("bsi"), svcs.back());
  std::string ns = topo.node_path();
  TmpText setup("ipt-setup", iptables_setup());
  run_tool_ok(ns, kIptRestore, setup.path);
  {
    TmpText full("ipt-full", iptables_full(svcs));
    auto r = run_tool_ok(ns, kIptRestore, full.path);
    row.full_s.v = r.wall_ms / 1e3;
    row.full_sys_s.v = r.sys_ms / 1e3;
    row.full_cpu_s.v = (r.user_ms + r.sys_ms) / 1e3;
  }
  set_connect(row, topo.connect_latency(svcs.back(), o.connects));
  std::vector<double> t;
  size_t c = changed_index(svcs);
  for (int r = 0; r < o.rounds; ++r) {
    check_interrupted();
    auto old = svcs[c].endpoints;
    svcs[c].endpoints = next_endpoints(svcs[c], r);
    TmpText part("ipt-part", iptables_partial(svcs, c, old));
    t.push_back(run_tool_ok(ns, kIptRestore, part.path).wall_ms);
  }
  row.update_ms.v = median(t);
  return row;
}

Row measure_nft(std::vector<BenchService> svcs, const Options& o) {
  Row row;
  ServiceTopology topo(podnet::testing::unique_prefix("bsn"), svcs.back());
  std::string ns = topo.node_path();
  {
    TmpText full("nft-full", nft_full(svcs));
    auto r = run_tool_ok(ns, kNft, full.path);
    row.full_s.v = r.wall_ms / 1e3;
    row.full_sys_s.v = r.sys_ms / 1e3;
    row.full_cpu_s.v = (r.user_ms + r.sys_ms) / 1e3;
  }
  set_connect(row, topo.connect_latency(svcs.back(), o.connects));
  std::vector<double> t;
  size_t c = changed_index(svcs);
  for (int r = 0; r < o.rounds; ++r) {
    check_interrupted();
    auto old = svcs[c].endpoints;
    svcs[c].endpoints = next_endpoints(svcs[c], r);
    TmpText part("nft-part", nft_partial(svcs[c], old));
    t.push_back(run_tool_ok(ns, kNft, part.path).wall_ms);
  }
  row.update_ms.v = median(t);
  return row;
}

Row measure_podnet(std::vector<BenchService> svcs, const Options& o) {
  Row row;
  ServiceTopology topo(podnet::testing::unique_prefix("bsp"), svcs.back());
  PodnetProxy px(topo.node_path());
  auto full = px.full(svcs);
  row.full_s.v = full.wall_ms / 1e3;
  row.full_sys_s.v = full.sys_ms / 1e3;
  row.full_cpu_s.v = full.cpu_ms / 1e3;
  set_connect(row, topo.connect_latency(svcs.back(), o.connects));
  std::vector<double> t;
  size_t c = changed_index(svcs);
  for (int r = 0; r < o.rounds; ++r) {
    check_interrupted();
    t.push_back(px.update(c, next_endpoints(svcs[c], r)));
  }
  row.update_ms.v = median(t);
  std::string each;
  for (double v : t) each += fmt::format(" {:.2f}", v);
  fmt::print("  podnet one-Service updates at {} (in order), ms:{}\n", svcs.size(), each);
  // The last update must be in the kernel (a diff that applied nothing would look fast).
  std::string want = ip_text(spare_endpoint(o.rounds - 1).ip), out;
  podnet::testing::sh(fmt::format("ip netns exec {} nft list ruleset | grep -c '{}'",
                                  topo.node_path().substr(topo.node_path().rfind('/') + 1), want),
                      &out);
  if (std::atoi(out.c_str()) < 1)
    row.update_ms.note = fmt::format("updated endpoint {} not in the ruleset", want);
  if (std::atoi(out.c_str()) < 1) row.update_ms.v.reset();
  return row;
}

// The kernel's own share: nft -f of only the dispatch map (N elements) and the endpoint map
// (2N), in a namespace of its own; the tool's system time is the kernel's work.
void measure_floor(SizeResult& res, const std::vector<BenchService>& svcs) {
  podnet::testing::ScopedNetns ns(podnet::testing::unique_prefix("bsf") + "node");
  TmpText text("floor", nft_floor(svcs));
  auto r = run_tool_ok(ns.path(), kNft, text.path);
  res.floor_s.v = r.sys_ms / 1e3;
  res.floor_wall_s.v = r.wall_ms / 1e3;
}

template <typename F>
void guarded(Cell& first, Row& row, F&& f) {
  try {
    row = f();
  } catch (const std::exception& e) {
    if (interrupted()) throw;
    first.note = fmt::format("failed: {}", e.what());
    fmt::print("    failed: {}\n", e.what());
  }
}

std::string cell(const Cell& c, const char* fmtspec = "{:.3f}") {
  if (c.v) return fmt::format(fmt::runtime(fmtspec), *c.v);
  if (c.note.empty()) return "-";
  return c.note;
}

std::string ratio(const Cell& base, const Cell& pn) {
  if (!base.v || !pn.v || *pn.v <= 0) return "-";
  return fmt::format("{:.1f}x", *base.v / *pn.v);
}

const Row& row_of(const SizeResult& r, const std::string& who) {
  static const Row empty;
  auto it = r.by.find(who);
  return it == r.by.end() ? empty : it->second;
}

void print_table(const std::string& title, const std::vector<SizeResult>& res, Cell Row::*field,
                 const char* spec, const std::function<std::string(const SizeResult&)>& target) {
  fmt::print("\n{}\n", title);
  fmt::print("{:>6} | {:>10} | {:>12} | {:>12} | {:>9} | {:>9} | {}\n", "N", "podnet",
             "kp-iptables", "kp-nft", "ipt/pn", "nft/pn", "target");
  for (const auto& r : res) {
    const Row &p = row_of(r, "podnet"), &i = row_of(r, "iptables"), &n = row_of(r, "nft");
    auto c = [&](const Row& x) {
      std::string s = cell(x.*field, spec);
      return s.size() > 12 && !(x.*field).v ? s.substr(0, 12) : s;
    };
    fmt::print("{:>6} | {:>10} | {:>12} | {:>12} | {:>9} | {:>9} | {}\n", r.n, c(p), c(i), c(n),
               ratio(i.*field, p.*field), ratio(n.*field, p.*field), target(r));
  }
  // Long notes (failures, "not run") in full below the table.
  for (const auto& r : res)
    for (const auto& [who, row] : r.by)
      if (!(row.*field).v && (row.*field).note.size() > 12)
        fmt::print("  N={} {}: {}\n", r.n, who, (row.*field).note);
}

std::vector<int> parse_sizes(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ','))
    if (!tok.empty()) out.push_back(std::stoi(tok));
  return out;
}

std::string met(bool ok) {
  return ok ? "met" : "MISSED";
}

const SizeResult* size_row(const std::vector<SizeResult>& res, int n) {
  for (const auto& r : res)
    if (r.n == n) return &r;
  return nullptr;
}

void print_tables(const std::vector<SizeResult>& res) {
  auto pn = [](const SizeResult& r) -> const Row& { return row_of(r, "podnet"); };
  print_table(
      "Full sync, s (ratio = baseline / podnet; floor = kernel time of nft -f of the map "
      "elements)",
      res, &Row::full_s, "{:.3f}", [&](const SizeResult& r) {
        std::string floor = r.floor_s.v ? fmt::format("floor {:.3f} s", *r.floor_s.v) : "";
        const Cell& c = pn(r).full_s;
        double limit = r.n == 10000 ? 0.2 : r.n == 30000 ? 0.6 : 0;
        if (!limit || !c.v) return floor;
        std::string s = fmt::format("{}; <= {} s: {}", floor, limit, met(*c.v <= limit));
        if (r.floor_s.v)
          s += fmt::format("; {:.1f}x floor (<= 2x: {})", *c.v / *r.floor_s.v,
                           met(*c.v <= 2 * *r.floor_s.v));
        return s;
      });
  print_table(
      "Full sync CPU time (user + system), s: the cost without waiting for a core on a "
      "loaded machine",
      res, &Row::full_cpu_s, "{:.3f}", [&](const SizeResult& r) -> std::string {
        const Cell& c = pn(r).full_cpu_s;
        double limit = r.n == 10000 ? 0.2 : r.n == 30000 ? 0.6 : 0;
        if (!limit || !c.v) return "";
        return fmt::format("<= {} s: {}", limit, met(*c.v <= limit));
      });
  print_table(
      "One-service update (one service's endpoints changed), ms, median; kube-proxy: "
      "partial sync",
      res, &Row::update_ms, "{:.2f}", [&](const SizeResult& r) -> std::string {
        const Cell& c = pn(r).update_ms;
        if (r.n != 30000 || !c.v) return "";
        return fmt::format("<= 5 ms: {}", met(*c.v <= 5));
      });
  auto vs100 = [&](Cell Row::*f) {
    return [&res, &pn, f](const SizeResult& r) -> std::string {
      const SizeResult* base = size_row(res, 100);
      const Cell& c = pn(r).*f;
      if (!base || r.n == 100 || !c.v || !(pn(*base).*f).v) return "";
      double x = *c.v / *(pn(*base).*f).v;
      return fmt::format("{:.2f}x podnet@100{}", x,
                         r.n == 30000 ? fmt::format(" (<= 1.10x: {})", met(x <= 1.10)) : "");
    };
  };
  print_table("First-packet connect latency to the last-created Service, median, ms", res,
              &Row::conn_med, "{:.3f}", vs100(&Row::conn_med));
  print_table("First-packet connect latency, p99, ms", res, &Row::conn_p99, "{:.3f}",
              vs100(&Row::conn_p99));
  fmt::print("\npodnet memory: a fresh process holding the snapshot and a synced proxier, MB\n");
  fmt::print("{:>6} | {:>8} | {:>8} | {:>13} | {}\n", "N", "VmHWM", "VmRSS", "proxier heap",
             "target");
  for (const auto& r : res) {
    if (!r.hwm_mb.v && r.hwm_mb.note.empty()) continue;
    std::string t = r.n == 30000 && r.hwm_mb.v ? "<= 64 MB: " + met(*r.hwm_mb.v <= 64) : "";
    fmt::print("{:>6} | {:>8} | {:>8} | {:>13} | {}\n", r.n, cell(r.hwm_mb, "{:.1f}"),
               cell(r.rss_mb, "{:.1f}"), cell(r.heap_mb, "{:.1f}"), t);
  }
}

int run(const Options& o, const std::string& self) {
  bool want_pn = o.only.empty() || o.only == "podnet";
  bool want_ipt = o.only.empty() || o.only == "iptables";
  bool want_nft = o.only.empty() || o.only == "nft";
  bool have_pn = PodnetProxy::available();
  std::string kernel;
  podnet::testing::sh("uname -r", &kernel);
  if (!kernel.empty() && kernel.back() == '\n') kernel.pop_back();
  fmt::print("Service proxy: N Services x 2 endpoints, TCP, fresh namespaces per measurement\n");
  fmt::print("kernel {}, {}, one-service updates: median of {}, connects: {} per figure\n", kernel,
             load(), o.rounds, o.connects);
  fmt::print("kube-proxy iptables through `{}`, nftables through `nft -f -`\n", kIptRestore[0]);
  std::vector<SizeResult> results;
  for (int n : o.sizes) {
    check_interrupted();
    SizeResult res;
    res.n = n;
    auto svcs = make_services(n);
    fmt::print("N={} ({})\n", n, load());
    std::fflush(stdout);
    try {
      measure_floor(res, svcs);
      fmt::print("  kernel floor (nft -f of map elements): sys {:.3f} s, wall {:.3f} s\n",
                 *res.floor_s.v, *res.floor_wall_s.v);
    } catch (const std::exception& e) {
      if (interrupted()) throw;
      res.floor_s.note = fmt::format("failed: {}", e.what());
      fmt::print("  kernel floor failed: {}\n", e.what());
    }
    auto report = [&](const char* who, const Row& r) {
      if (!r.full_s.v) {
        fmt::print("  {:<9} {}\n", who, r.full_s.note);  // failed or not run: said once
      } else {
        fmt::print(
            "  {:<9} full {} s (cpu {} s, of it kernel {} s), one-service {} ms, connect "
            "median {} ms p99 {} ms\n",
            who, cell(r.full_s), cell(r.full_cpu_s), cell(r.full_sys_s), cell(r.update_ms),
            cell(r.conn_med), cell(r.conn_p99));
      }
      std::fflush(stdout);
    };
    if (want_pn) {
      Row& r = res.by["podnet"];
      if (!have_pn) {
        r.full_s.note = r.update_ms.note = r.conn_med.note = "not built";
      } else {
        guarded(r.full_s, r, [&] { return measure_podnet(svcs, o); });
        report("podnet", r);
        if (r.full_s.v) {
          podnet::testing::ScopedNetns mns(podnet::testing::unique_prefix("bsm") + "node");
          auto m = podnet_memory(self, mns.path(), n);
          if (m.error.empty()) {
            res.hwm_mb.v = m.hwm_mb;
            res.rss_mb.v = m.rss_mb;
            res.heap_mb.v = m.proxier_heap_mb;
            fmt::print(
                "  podnet memory (own process): VmHWM {:.1f} MB, VmRSS {:.1f} MB, proxier "
                "heap {:.1f} MB, snapshot heap {:.1f} MB\n",
                m.hwm_mb, m.rss_mb, m.proxier_heap_mb, m.snapshot_heap_mb);
          } else {
            res.hwm_mb.note = "failed: " + m.error;
            fmt::print("  podnet memory failed: {}\n", m.error);
          }
        }
      }
    }
    if (want_ipt) {
      Row& r = res.by["iptables"];
      guarded(r.full_s, r, [&] { return measure_iptables(svcs, o); });
      report("iptables", r);
    }
    if (want_nft) {
      Row& r = res.by["nft"];
      if (n >= 30000 && !o.full) {
        r.full_s.note = r.update_ms.note = r.conn_med.note = r.conn_p99.note =
            "not run (435 s measured earlier; --full)";
      } else {
        guarded(r.full_s, r, [&] { return measure_nft(svcs, o); });
      }
      report("nft", r);
    }
    results.push_back(std::move(res));
  }
  print_tables(results);
  if (o.e2e) {
    // podnetctl sits next to this binary's directory in the build tree.
    std::string dir = self.substr(0, self.rfind('/'));
    run_e2e_lab(dir + "/../apps/podnetctl/podnetctl", kIptRestore, o.e2e_services, o.e2e_changes);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string self = "/proc/self/exe";
  char buf[4096];
  ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (len > 0) self.assign(buf, static_cast<size_t>(len));
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--memory-child") {
        int n = std::stoi(next());
        std::string ns = next(), out = next();
        return podnet_memory_child(n, ns, out);
      } else if (a == "--sizes") {
        o.sizes = parse_sizes(next());
      } else if (a == "--iptables-restore") {
        kIptRestore[0] = next();
      } else if (a == "--full") {
        o.full = true;
      } else if (a == "--e2e") {
        o.e2e = true;
      } else if (a == "--e2e-only") {
        o.e2e = true;
        o.sizes.clear();
      } else if (a == "--e2e-services") {
        o.e2e = true;
        o.e2e_services = std::max(1, std::stoi(next()));
      } else if (a == "--e2e-changes") {
        o.e2e_changes = std::max(1, std::stoi(next()));
      } else if (a == "--only") {
        o.only = next();
        if (o.only != "podnet" && o.only != "iptables" && o.only != "nft")
          throw std::runtime_error("--only podnet|iptables|nft");
      } else if (a == "--rounds") {
        o.rounds = std::max(1, std::stoi(next()));
      } else if (a == "--connects") {
        o.connects = std::max(1, std::stoi(next()));
      } else {
        throw std::runtime_error("unknown option " + a);
      }
    }
    if (!podnet::testing::have_root()) {
      fmt::print(stderr, "bench_services: needs root (creates network namespaces)\n");
      return 1;
    }
    catch_signals();
    return run(o, self);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_services: {}\n", e.what());
    return 1;
  }
}
