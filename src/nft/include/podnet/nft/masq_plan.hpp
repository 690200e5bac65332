#pragma once
// The CNI plugin's egress masquerade as nftables text (pure). One podnet-owned table holds
// two sets per family: the pods with ipMasq, and "pod . own subnet" pairs whose traffic keeps
// its source. Rules never grow with the number of pods; only set elements do.
#include <string>
#include <vector>

#include "podnet/net/ip.hpp"

namespace podnet::nft {

inline constexpr std::string_view kMasqTable = "podnet-cni";

struct MasqEntry {
  net::IpAddress pod;  // the pod's address
  net::Prefix subnet;  // the pod's own subnet (masked): traffic into it is not masqueraded
};

// Element comment identifying an attachment: "<network>/<containerID>/<ifname>"; a part
// that is too long or not safely quotable is replaced by its hash. Fits nft's 128-byte limit.
std::string network_tag_prefix(std::string_view network);
std::string attachment_tag(std::string_view network, std::string_view container_id,
                           std::string_view ifname);

// Table, sets, base chain and its rules, idempotently: existing elements are kept, rules
// are flushed and re-added in the same transaction (self-healing, atomic).
std::string masq_base_commands();
std::string masq_add_elements(const std::vector<MasqEntry>& entries, std::string_view tag);
std::string masq_delete_elements(const std::vector<MasqEntry>& entries);
std::string masq_list_sets();

}  // namespace podnet::nft
