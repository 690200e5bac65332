#include "podnet/trace/report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace podnet::trace {
namespace {

// Columns padded to the widest cell, three spaces apart, no trailing spaces (kubectl's tables).
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows) {
    w.resize(std::max(w.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string Endpoint::label() const {
  std::string prefix = kind == "service" ? "svc/" : kind == "ip" || kind == "ext" ? "" : kind + "/";
  std::string s = prefix + name;
  std::string detail;
  if (ip && ip->str() != name) detail = ip->str();
  if (!node.empty()) detail += (detail.empty() ? "on " : " on ") + node;
  return detail.empty() ? s : s + " (" + detail + ")";
}

std::string predicted_text(const TraceHeader& h, const Path& p) {
  std::string out =
      fmt::format("trace {} -> {}  {}", h.from.label(), h.to.label(), to_string(h.proto));
  if (h.proto != Proto::icmp) out += fmt::format("/{}", h.port);
  out += "\n\nPREDICTED PATH (read from the kernel)\n";
  std::vector<std::vector<std::string>> rows{{"HOP", "WHERE", "STEP", "WHAT", "DECIDED BY"}};
  for (const auto& hop : p.hops)
    rows.push_back({std::to_string(hop.n), hop.where, hop.step, hop.what, hop.by});
  out += table(rows);
  if (p.verdict.delivered)
    out += fmt::format("predicted: {} (hop {})\n", p.verdict.reason, p.verdict.hop);
  else
    out += fmt::format("predicted: dropped at hop {} ({}): {}\n", p.verdict.hop, p.verdict.where,
                       p.verdict.reason);
  return out;
}

nlohmann::json endpoint_json(const Endpoint& e) {
  nlohmann::json j{{"kind", e.kind}, {"name", e.name}, {"netns", e.netns}};
  j["ip"] = e.ip ? nlohmann::json(e.ip->str()) : nlohmann::json(nullptr);
  if (!e.node.empty()) j["node"] = e.node;
  return j;
}

nlohmann::json predicted_json(const Path& p) {
  nlohmann::json hops = nlohmann::json::array();
  for (const auto& h : p.hops)
    hops.push_back({{"hop", h.n},
                    {"netns", h.netns},
                    {"where", h.where},
                    {"step", h.step},
                    {"what", h.what},
                    {"decidedBy", h.by}});
  nlohmann::json last{{"dst", p.delivered_as.dst.str()}};
  last["src"] = p.delivered_as.src ? nlohmann::json(p.delivered_as.src->str()) : nullptr;
  if (p.delivered_as.proto != Proto::icmp) last["port"] = p.delivered_as.port;
  return {{"hops", hops},
          {"verdict",
           {{"delivered", p.verdict.delivered},
            {"hop", p.verdict.hop},
            {"where", p.verdict.where},
            {"reason", p.verdict.reason}}},
          {"lastSeenAs", last}};
}

}  // namespace podnet::trace
