#pragma once
// Names of the chains and named sets of one nftables table (libnftnl dumps; no rules, no
// elements): what a full resync compares with the wanted ones to remove stale objects.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"

namespace podnet::proxy {

struct TableObjects {
  bool exists = false;
  std::vector<std::string> chains, sets;
};

Result<TableObjects> list_table_objects(uint16_t family, const std::string& table);

// The values of the first rule of `chain` (libnftnl dump of that chain's rules: set elements
// are never read, which `nft list chain` would fetch into libnftables' cache, hundreds of MB
// at tens of thousands of Services): its cmp operands and bitwise masks, in order. nullopt when
// the chain has no rule.
struct RuleValues {
  std::vector<std::vector<uint8_t>> cmp, mask;
};
Result<std::optional<RuleValues>> first_rule_values(uint16_t family, const std::string& table,
                                                    const std::string& chain);

}  // namespace podnet::proxy
