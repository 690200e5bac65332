#pragma once
// `get nodes` output (pure): NAME IP PODS, sorted by name; wide adds BACKEND VTEP-MAC AGE;
// json is {"items": [<node objects as stored>]}.
#include <optional>
#include <string>
#include <vector>

#include "podnet/cluster/config.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::lab {

enum class OutputFormat { table, wide, json };
Result<OutputFormat> parse_output(std::string_view text);  // "", "wide", "json"

// `ages`: seconds since each node joined, by name (wide); missing names show "<unknown>".
std::string format_nodes(std::vector<cluster::Node> nodes, OutputFormat fmt,
                         std::optional<cluster::BackendType> backend,
                         const std::vector<std::pair<std::string, long long>>& ages = {});

// The nodes under /podnet/nodes/ (entries that do not parse are skipped: a listing must not
// fail because of one bad object).
std::vector<cluster::Node> parse_nodes(const store::ListResult& list);

}  // namespace podnet::lab
