#pragma once
// Applies the masquerade plan to the kernel in the caller's network namespace: set elements
// through libnftnl (every ADD/DEL), the table itself through libnftables (once per node).
#include <functional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/nft/masq_plan.hpp"
#include "podnet/nft/set_elements.hpp"

namespace podnet::nft {

class MasqTable {
 public:
  static Result<MasqTable> open();

  // Adds the entries in one transaction, creating table, sets and rules first if missing.
  Result<> add(const std::vector<MasqEntry>& entries, std::string_view tag);
  // Removes entries known from a previous result; falls back to removing by tag when they
  // are not all present. A missing table or element is not an error (DEL is idempotent).
  Result<> remove(const std::vector<MasqEntry>& entries, std::string_view tag);
  // Removes every element whose tag satisfies `doomed`; returns how many.
  Result<int> remove_if(const std::function<bool(const std::string& tag)>& doomed);
  // Every element currently in the masquerade sets.
  Result<std::vector<SetElement>> list();

 private:
  explicit MasqTable(SetElementClient c) : client_(std::move(c)) {}
  Result<> ensure_table();
  SetElementClient client_;
};

}  // namespace podnet::nft
