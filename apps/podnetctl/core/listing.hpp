#pragma once
// `get KIND -o json|yaml|name` for every kind: kubectl's List (or the object itself when one
// name was asked for), built in one buffer. Pure.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"

namespace podnet::ctl {

enum class ListFormat { table, wide, json, yaml, name };
// "", "wide", "json", "yaml", "name"; `wide_ok`: the kind has a wide table.
Result<ListFormat> parse_list_format(std::string_view text, bool wide_ok = true);

// -o json|yaml|name: the object outputs (not a table).
inline bool is_object_output(std::string_view o) {
  return o == "json" || o == "yaml" || o == "name";
}

// `items` are complete objects (apiVersion and kind set). json/yaml: a List
// {apiVersion: v1, items, kind: List, metadata: {resourceVersion: ""}}, or the single object
// when `single` (kubectl's `get svc web -o yaml`); name: "<resource>/<metadata.name>" lines.
std::string format_objects(std::vector<nlohmann::json> items, ListFormat fmt,
                           std::string_view resource, bool single);

// A table's rows without its header line (`get -w` prints rows only after the first table).
std::string without_header(std::string_view table);

}  // namespace podnet::ctl
