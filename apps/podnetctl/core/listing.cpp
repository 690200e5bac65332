#include "core/listing.hpp"

#include <fmt/format.h>

#include "core/yaml_out.hpp"

namespace podnet::ctl {

Result<ListFormat> parse_list_format(std::string_view text, bool wide_ok) {
  if (text.empty()) return ListFormat::table;
  if (text == "wide" && wide_ok) return ListFormat::wide;
  if (text == "json") return ListFormat::json;
  if (text == "yaml") return ListFormat::yaml;
  if (text == "name") return ListFormat::name;
  return fail(fmt::format("--output: unknown format \"{}\" (want {}json, yaml or name)", text,
                          wide_ok ? "wide, " : ""));
}

std::string format_objects(std::vector<nlohmann::json> items, ListFormat fmt,
                           std::string_view resource, bool single) {
  std::string out;
  if (fmt == ListFormat::name) {
    for (const auto& o : items) {
      out += resource;
      out += '/';
      out += o.at("metadata").value("name", "");
      out += '\n';
    }
    return out;
  }
  nlohmann::json doc;
  if (single && items.size() == 1) {
    doc = std::move(items.front());
  } else {
    doc = {{"apiVersion", "v1"},
           {"items", std::move(items)},
           {"kind", "List"},
           {"metadata", {{"resourceVersion", ""}}}};
    if (doc["items"].is_null()) doc["items"] = nlohmann::json::array();
  }
  if (fmt == ListFormat::yaml) {
    append_yaml(out, doc);
  } else {
    out = doc.dump(4);  // kubectl indents JSON by four
    out += '\n';
  }
  return out;
}

std::string without_header(std::string_view table) {
  auto nl = table.find('\n');
  return nl == std::string_view::npos ? std::string() : std::string(table.substr(nl + 1));
}

}  // namespace podnet::ctl
