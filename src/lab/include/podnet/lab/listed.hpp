#pragma once
// Objects of a store listing parsed with their cluster parser, the bad entries set aside with
// a reason. Callers choose the policy: the CLI refuses a listing with a bad entry, the
// controller and `get nodes` go on without it.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "podnet/common/json_bounded.hpp"
#include "podnet/store/store.hpp"

namespace podnet::lab {

template <typename T>
struct Listed {
  std::vector<T> items;
  std::vector<std::string> bad;  // "<key>: <why>", in key order
};

// from_json: e.g. cluster::pod_from_json (Result<T>(const nlohmann::json&)).
template <typename T, typename FromJson>
Listed<T> parse_listing(const std::vector<store::KeyValue>& kvs, FromJson from_json) {
  Listed<T> out;
  for (const auto& kv : kvs) {
    auto j = parse_json_bounded(kv.value, json_default_max_depth, json_default_max_bytes, kv.key);
    if (!j) {
      out.bad.push_back(j.error().message);
      continue;
    }
    auto obj = from_json(*j);
    if (!obj) {
      out.bad.push_back(fmt::format("{}: {}", kv.key, obj.error().message));
      continue;
    }
    out.items.push_back(std::move(*obj));
  }
  return out;
}

}  // namespace podnet::lab
