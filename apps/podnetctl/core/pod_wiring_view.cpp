#include "core/pod_wiring_view.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace podnet::ctl {
namespace {
std::string pods_text(size_t n) {
  return fmt::format("{} pod{}", n, n == 1 ? "" : "s");
}
}  // namespace

std::vector<std::string> pod_wiring_problems(const PodWiring& w) {
  std::vector<std::string> out;
  if (w.conflist.empty()) return out;  // not looked at
  if (w.mode.empty()) {
    out.push_back("conflist unreadable: " + w.error);
    return out;
  }
  if (w.mode != "bridge") return out;
  if (!w.exists) {
    if (w.pods)
      out.push_back(fmt::format("bridge {} MISSING ({} here)", w.bridge, pods_text(w.pods)));
    return out;
  }
  if (!w.up) out.push_back(fmt::format("bridge {} is DOWN", w.bridge));
  if (!w.gateway.empty() &&
      std::find(w.addresses.begin(), w.addresses.end(), w.gateway) == w.addresses.end())
    out.push_back(fmt::format("bridge {} lacks the pods' gateway {}", w.bridge, w.gateway));
  if (w.forwarding < w.pods)
    out.push_back(
        fmt::format("{} here but {} forwarding port{} on {}: a pod's host veth is detached or down",
                    pods_text(w.pods), w.forwarding, w.forwarding == 1 ? "" : "s", w.bridge));
  return out;
}

std::string pod_wiring_text(const PodWiring& w) {
  if (w.conflist.empty()) return "";
  if (w.mode.empty()) return fmt::format("  pods       UNREADABLE: {}\n", w.error);
  const auto problems = pod_wiring_problems(w);
  std::string out;
  if (w.mode != "bridge") {
    out =
        fmt::format("  pods       ptp mode: each pod's host veth routed ({})\n", pods_text(w.pods));
  } else if (!w.exists) {
    out = fmt::format("  pods       bridge mode: bridge {} {}\n", w.bridge,
                      w.pods ? "MISSING" : "not made yet (the first pod's CNI ADD makes it)");
  } else {
    std::string addrs;
    for (const auto& a : w.addresses) addrs += "  " + a;
    out = fmt::format("  pods       bridge mode: bridge {}  mac {}{}  {}  br_netfilter {}: {}\n",
                      w.bridge, w.mac, addrs, w.up ? "UP" : "DOWN",
                      !w.netfilter   ? "absent"
                      : *w.netfilter ? "on"
                                     : "off",
                      problems.empty() ? "as planned" : "NOT as planned");
    out += fmt::format("             {} port{} ({} forwarding) for {}\n", w.ports,
                       w.ports == 1 ? "" : "s", w.forwarding, pods_text(w.pods));
  }
  for (const auto& p : problems) out += "      " + p + "\n";
  return out;
}

nlohmann::json pod_wiring_json(const PodWiring& w) {
  nlohmann::json j{{"conflist", w.conflist}, {"mode", w.mode}, {"pods", w.pods}};
  if (!w.error.empty()) j["error"] = w.error;
  if (w.mode == "bridge") {
    nlohmann::json b{{"name", w.bridge}, {"exists", w.exists}};
    if (w.exists) {
      b["up"] = w.up;
      b["mac"] = w.mac;
      b["addresses"] = w.addresses;
      b["ports"] = w.ports;
      b["forwarding"] = w.forwarding;
      b["netfilter"] = w.netfilter ? nlohmann::json(*w.netfilter) : nlohmann::json(nullptr);
    }
    b["gateway"] = w.gateway;
    j["bridge"] = std::move(b);
  }
  j["problems"] = pod_wiring_problems(w);
  return j;
}

}  // namespace podnet::ctl
