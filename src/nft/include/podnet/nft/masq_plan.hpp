#pragma once
// The CNI plugin's egress masquerade (pure): one podnet-owned table holds two sets per family:
// the pods with ipMasq, and "pod . own subnet" pairs whose traffic keeps its source. Rules
// never grow with the number of pods; only set elements do, each tagged with its attachment.
#include <string>
#include <vector>

#include "podnet/net/ip.hpp"
#include "podnet/nft/set_elements.hpp"

namespace podnet::nft {

inline constexpr std::string_view kMasqTable = "podnet-cni";
inline constexpr uint16_t kMasqFamily = 1;  // NFPROTO_INET

struct MasqEntry {
  net::IpAddress pod;  // the pod's address
  net::Prefix subnet;  // the pod's own subnet: traffic into it is not masqueraded
};

// Element comment identifying an attachment: "<network>/<containerID>/<ifname>"; a part
// that is too long or not safely quotable is replaced by its hash. Fits nft's 128-byte limit.
std::string network_tag_prefix(std::string_view network);
std::string attachment_tag(std::string_view network, std::string_view container_id,
                           std::string_view ifname);

// Table, sets, base chain and its rules, idempotently (nft syntax): existing elements are
// kept, rules are flushed and re-added in the same transaction.
std::string masq_base_commands();

// The set elements of entries, in the kernel's key encoding.
std::vector<SetElement> masq_elements(const std::vector<MasqEntry>& entries, std::string_view tag);
// Names of the sets that hold masquerade elements.
std::vector<std::string> masq_set_names();

}  // namespace podnet::nft
