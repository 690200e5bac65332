#pragma once
// GC: which allocations to free given the runtime's list of still valid attachments. Pure.
#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/cni/error.hpp"
#include "podnet/ipam/store.hpp"

namespace podnet::ipam {

struct Attachment {
  std::string container_id;
  std::string ifname;
  friend bool operator==(const Attachment&, const Attachment&) = default;
};

// The union of "cni.dev/valid-attachments" and the 1.1.0 tag's "cni.dev/attachments" in the
// network configuration. At least one must be present: without a list GC would free every
// address, so a missing list is a config error (7), not "nothing is valid".
std::expected<std::vector<Attachment>, cni::CniError> parse_valid_attachments(
    const nlohmann::json& conf);

// Addresses to free: every allocation whose owner is not a valid attachment, including
// records that cannot be read (an empty file left by a writer killed mid-write). A legacy
// record (id only) stays while any valid attachment has its id.
std::vector<net::IpAddress> select_for_gc(const std::vector<Allocation>& allocations,
                                          const std::vector<Attachment>& valid);

}  // namespace podnet::ipam
