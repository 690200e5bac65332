// CNI ADD/DEL per pod: podnet + podnet-ipam against the reference bridge + host-local, with
// the same options (bridge mode, gateway, ipMasq), measured in one run on this machine.
// Each plugin runs in its own "node" network namespace; every pod gets its own netns.
//
//   bench_cni [--pods N] [--scale M] [--log FILE]
//     --pods N    pods per plugin set for the medians (default 200)
//     --scale M   pods for the growth check on podnet alone (default 1000; 0 skips it)
//     --log FILE  podnet's logFile: its per-step timings (debug lines) of every call
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "podnet/testing/netns_fixture.hpp"

using nlohmann::json;
using podnet::bench::median;
using podnet::bench::now_ms;
using podnet::testing::ScopedNetns;
namespace fs = std::filesystem;

namespace {

struct Timings {
  std::vector<double> add_ms, del_ms;
  int failures = 0;
  std::string first_error;
};

// Creates namespaces quickly through `ip -batch`.
void batch_netns(const std::vector<std::string>& names, bool add) {
  std::string file = fmt::format("/tmp/pnbench-batch-{}", getpid());
  FILE* f = fopen(file.c_str(), "w");
  for (const auto& n : names) fprintf(f, "netns %s %s\n", add ? "add" : "del", n.c_str());
  fclose(f);
  podnet::testing::sh(fmt::format("ip -force -batch {} >/dev/null 2>&1", file));
  fs::remove(file);
}

std::string g_log_file;  // --log

// mode: "" = the plugin's default (bridge), "ptp" = routed pods (podnetd's default conflist).
Timings run_set(const std::string& tag, const std::string& plugin, const std::string& ipam,
                const std::string& version, int pods, const std::string& subnet,
                const std::string& mode = "") {
  std::string prefix = podnet::testing::unique_prefix(tag);
  std::string dir = "/tmp/" + prefix + "dir";
  podnet::testing::link_cni_plugins(dir + "/bin", {"bridge", "host-local"});
  ScopedNetns node(prefix + "node");
  std::vector<std::string> names;
  for (int i = 0; i < pods; ++i) names.push_back(fmt::format("{}p{}", prefix, i));
  batch_netns(names, true);

  json conf = {
      {"cniVersion", version},
      {"name", "bench"},
      {"type", plugin},
      {"bridge", "pnbench0"},
      {"isGateway", true},
      {"isDefaultGateway", true},
      {"ipMasq", true},
      {"ipam", {{"type", ipam}, {"dataDir", dir + "/ipam"}, {"ranges", {{{{"subnet", subnet}}}}}}}};
  if (!mode.empty()) {
    conf["mode"] = mode;
    conf.erase("bridge");  // ptp mode has no bridge
  }
  if (plugin == "podnet" && !g_log_file.empty()) conf["logFile"] = g_log_file;
  std::string text = conf.dump();
  Timings t;
  std::vector<json> results(pods);
  auto call = [&](const char* cmd, int i, const std::string& input) {
    std::map<std::string, std::string> env = {{"CNI_COMMAND", cmd},
                                              {"CNI_CONTAINERID", fmt::format("bench{}", i)},
                                              {"CNI_NETNS", "/var/run/netns/" + names[i]},
                                              {"CNI_IFNAME", "eth0"},
                                              {"CNI_PATH", dir + "/bin"}};
    double t0 = now_ms();
    auto r = podnet::testing::run_in_netns(node.path(), dir + "/bin/" + plugin, env, input);
    double dt = now_ms() - t0;
    if (r.exit_code != 0) {
      if (t.failures++ == 0) t.first_error = r.out + r.err;
      return std::pair{dt, json()};
    }
    return std::pair{dt, r.json()};
  };
  for (int i = 0; i < pods; ++i) {
    auto [dt, res] = call("ADD", i, text);
    t.add_ms.push_back(dt);
    results[i] = res;
  }
  for (int i = 0; i < pods; ++i) {
    json c = conf;
    if (!results[i].is_null()) c["prevResult"] = results[i];
    auto [dt, res] = call("DEL", i, c.dump());
    t.del_ms.push_back(dt);
  }
  batch_netns(names, false);
  node.remove();
  fs::remove_all(dir);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 200, scale = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pods")
      pods = std::atoi(argv[i + 1]);
    else if (a == "--scale")
      scale = std::atoi(argv[i + 1]);
    else if (a == "--log")
      g_log_file = argv[i + 1];
  }
  if (!podnet::testing::have_root()) {
    fmt::print(stderr, "bench_cni: needs root (creates network namespaces)\n");
    return 1;
  }
  fmt::print("CNI ADD/DEL per pod, {} pods each, bridge mode + ipMasq, in one run\n", pods);
  {
    // The floor every plugin call pays on this machine: starting a process, the way the
    // harness starts the plugins (a vfork-style clone, as Go runtimes do).
    std::vector<double> spawn;
    for (int i = 0; i < 50; ++i) {
      double t0 = now_ms();
      podnet::testing::run_in_netns("", "/bin/true", {}, "");
      spawn.push_back(now_ms() - t0);
    }
    fmt::print("{:<36} {:>10.2f} ms (median of 50)\n", "process spawn of /bin/true", median(spawn));
  }
  auto ref = run_set("bref", "bridge", "host-local", "1.0.0", pods, "10.90.0.0/16");
  auto pn = run_set("bpn", "podnet", "podnet-ipam", "1.1.0", pods, "10.91.0.0/16");
  for (auto* t : {&ref, &pn})
    if (t->failures) fmt::print("  {} failures, first: {}\n", t->failures, t->first_error);
  double ra = median(ref.add_ms), rd = median(ref.del_ms);
  double pa = median(pn.add_ms), pd = median(pn.del_ms);
  fmt::print("{:<36} {:>10} {:>10}\n", "", "ADD ms", "DEL ms");
  fmt::print("{:<36} {:>10.2f} {:>10.2f}\n", "reference bridge + host-local", ra, rd);
  fmt::print("{:<36} {:>10.2f} {:>10.2f}\n", "podnet + podnet-ipam", pa, pd);
  fmt::print("{:<36} {:>9.1f}x {:>9.1f}x   (target >= 10x, medians <= 2 ms)\n",
             "speed-up (reference / podnet)", ra / pa, rd / pd);
  // Growth on one node, podnet alone: bridge mode (as above) and routed ptp pods, the conflist
  // podnetd writes by default (no bridge port per pod).
  auto growth = [&](const char* what, const std::string& tag, const std::string& subnet,
                    const std::string& mode) {
    auto big = run_set(tag, "podnet", "podnet-ipam", "1.1.0", scale, subnet, mode);
    int k = std::min(10, scale / 2);
    std::vector<double> first(big.add_ms.begin(), big.add_ms.begin() + k);
    std::vector<double> last(big.add_ms.end() - k, big.add_ms.end());
    fmt::print(
        "growth, {}: ADD median of pods 1-{} {:.2f} ms, of pods {}-{} {:.2f} ms: {:.2f}x "
        "(target <= 1.5x){}\n",
        what, k, median(first), scale - k + 1, scale, median(last), median(last) / median(first),
        big.failures ? fmt::format(", {} failures: {}", big.failures, big.first_error) : "");
  };
  if (scale > 0) {
    growth("bridge", "bsc", "10.92.0.0/20", "");
    growth("ptp", "bsp", "10.93.0.0/20", "ptp");
  }
  return 0;
}
