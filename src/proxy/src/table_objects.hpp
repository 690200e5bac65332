#pragma once
// Names of the chains and named sets of one nftables table (libnftnl dumps; no rules, no
// elements): what a full resync compares with the wanted ones to remove stale objects.
#include <string>
#include <vector>

#include "podnet/common/error.hpp"

namespace podnet::proxy {

struct TableObjects {
  bool exists = false;
  std::vector<std::string> chains, sets;
};

Result<TableObjects> list_table_objects(uint16_t family, const std::string& table);

}  // namespace podnet::proxy
