#include "podnet/lab/nodes_view.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "podnet/lab/listed.hpp"
#include "podnet/lab/table.hpp"

namespace podnet::lab {

Result<OutputFormat> parse_output(std::string_view text) {
  if (text.empty()) return OutputFormat::table;
  if (text == "wide") return OutputFormat::wide;
  if (text == "json") return OutputFormat::json;
  return fail(fmt::format("-o: \"{}\" is not wide or json", text));
}

std::string format_nodes(std::vector<cluster::Node> nodes, OutputFormat fmt,
                         std::optional<cluster::BackendType> backend,
                         const std::vector<std::pair<std::string, long long>>& ages) {
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  if (fmt == OutputFormat::json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& n : nodes) items.push_back(cluster::to_json(n));
    return nlohmann::json{{"items", items}}.dump(2) + "\n";
  }
  std::vector<Row> rows;
  for (const auto& n : nodes) {
    Row r{n.name, n.internalIP.str(), n.podCIDR.masked().str()};
    if (fmt == OutputFormat::wide) {
      r.push_back(backend ? std::string(cluster::to_string(*backend)) : "<unknown>");
      r.push_back(n.vtepMAC.empty() ? "<none>" : n.vtepMAC);
      long long age = -1;
      for (const auto& [name, a] : ages)
        if (name == n.name) age = a;
      r.push_back(age < 0 ? "<unknown>" : human_age(age));
    }
    rows.push_back(std::move(r));
  }
  Row header{"NAME", "IP", "PODS"};
  if (fmt == OutputFormat::wide) header.insert(header.end(), {"BACKEND", "VTEP-MAC", "AGE"});
  return format_table(header, rows);
}

std::vector<cluster::Node> parse_nodes(const store::ListResult& list) {
  return parse_listing<cluster::Node>(list.items,
                                      [](const auto& j) { return cluster::node_from_json(j); })
      .items;
}

}  // namespace podnet::lab
