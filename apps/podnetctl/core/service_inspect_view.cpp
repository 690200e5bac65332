#include "core/service_inspect_view.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace podnet::ctl {
namespace {

std::string_view map_of(std::string_view line) {
  auto colon = line.find(':');
  return colon == std::string_view::npos ? line : line.substr(0, colon);
}

// "svc-endpoints: 10.96.0.10 . tcp . 80 . 0 : ..." -> "svc-endpoints  10.96.0.10 . tcp ..."
std::string element_row(std::string_view line) {
  auto colon = line.find(": ");
  if (colon == std::string_view::npos) return std::string(line);
  return fmt::format("{:<16} {}", line.substr(0, colon), line.substr(colon + 2));
}

void indent_block(std::string& out, std::string_view text, std::string_view pad) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    if (nl > start) out += fmt::format("{}{}\n", pad, text.substr(start, nl - start));
    start = nl + 1;
  }
}

}  // namespace

bool is_dispatch_element(std::string_view element_line) {
  const auto m = map_of(element_line);
  return m == "service-ips" || m == "svc-nodeports" || m == "no-endpoints" ||
         m == "np-no-endpoints" || m == "cluster-ips";
}

std::string inspect_service_text(std::string_view ns, std::string_view name,
                                 std::string_view cluster_ip,
                                 const std::vector<NodeKernelView>& nodes,
                                 const std::vector<std::string>& external_ips) {
  std::string out = fmt::format("service {}/{}  clusterIP {}", ns, name, cluster_ip);
  if (!external_ips.empty()) out += "  externalIPs " + fmt::format("{}", fmt::join(external_ips, ","));
  out += "\n";
  for (const auto& n : nodes) {
    out += fmt::format("\nnode {} ({})\n", n.node, n.ip);
    if (!n.error.empty()) {
      out += fmt::format("  error: {}\n", n.error);
      continue;
    }
    std::vector<std::string> dispatch, endpoints;
    for (const auto& e : n.elements) (is_dispatch_element(e) ? dispatch : endpoints).push_back(e);
    // One map's elements together, maps in the order the plan first names them.
    auto grouped = [](std::vector<std::string> v) {
      std::vector<std::string> order;  // copies: sorting moves the strings map_of points into
      for (const auto& e : v)
        if (std::find(order.begin(), order.end(), map_of(e)) == order.end())
          order.emplace_back(map_of(e));
      std::stable_sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
        return std::find(order.begin(), order.end(), map_of(a)) <
               std::find(order.begin(), order.end(), map_of(b));
      });
      return v;
    };
    dispatch = grouped(std::move(dispatch));
    endpoints = grouped(std::move(endpoints));
    auto section = [&](std::string_view title, const std::vector<std::string>& lines) {
      out += fmt::format("  {}:{}\n", title, lines.empty() ? " <none>" : "");
      for (const auto& l : lines) out += "    " + element_row(l) + "\n";
    };
    section("Dispatch", dispatch);
    section("Endpoints", endpoints);
    if (!n.missing.empty()) {
      out += fmt::format("  MISSING ({} planned, not in the kernel):\n", n.missing.size());
      for (const auto& l : n.missing) out += "    MISSING " + element_row(l) + "\n";
    }
    out += fmt::format("  Chains:{}\n", n.chains.empty() ? " <none>" : "");
    for (const auto& c : n.chains) indent_block(out, c, "    ");
    out += fmt::format("  Conntrack ({}):\n", n.conntrack.size());
    for (const auto& c : n.conntrack) out += "    " + c + "\n";
  }
  return out;
}

nlohmann::json inspect_service_json(std::string_view ns, std::string_view name,
                                    std::string_view cluster_ip,
                                    const std::vector<NodeKernelView>& nodes,
                                    const std::vector<std::string>& external_ips) {
  nlohmann::json j = {{"namespace", ns}, {"name", name}, {"clusterIP", cluster_ip}};
  if (!external_ips.empty()) j["externalIPs"] = external_ips;
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : nodes) {
    nlohmann::json o = {{"node", n.node}, {"ip", n.ip}};
    if (!n.error.empty()) {
      o["error"] = n.error;
    } else {
      o["elements"] = n.elements;
      o["missing"] = n.missing;
      o["chains"] = n.chains;
      o["conntrack"] = n.conntrack;
    }
    j["nodes"].push_back(std::move(o));
  }
  return j;
}

int inspect_exit_code(const std::vector<NodeKernelView>& nodes) {
  for (const auto& n : nodes)
    if (!n.error.empty() || !n.missing.empty()) return 1;
  return 0;
}

}  // namespace podnet::ctl
