#pragma once
// The rulesets kube-proxy (pkg/proxy/iptables, pkg/proxy/nftables) writes for a set of
// Services, as the text it feeds to iptables-restore and nft -f: full syncs, the partial sync
// of one changed service, and the kernel-floor batch (map elements only). Pure text.
#include <string>
#include <vector>

#include "service_set.hpp"

namespace podnet::bench {

// kube-proxy's hash-based chain names: base32(sha256(...)) truncated as kube-proxy does.
std::string kube_svc_chain(const BenchService& s);                         // KUBE-SVC-<16>
std::string kube_sep_chain(const BenchService& s, const SvcEndpoint& ep);  // KUBE-SEP-<16>
std::string nft_service_chain(const BenchService& s);  // service-<8>-ns/name/tcp/http
std::string nft_endpoint_chain(const BenchService& s, const SvcEndpoint& ep);

// iptables-restore --noflush input. `setup` installs the jumps from the built-in chains
// (kube-proxy's ensureRule calls, not part of a sync).
std::string iptables_setup();
std::string iptables_full(const std::vector<BenchService>& svcs);
// Partial sync after services[changed]'s endpoints went from `old_eps` to their current ones:
// KUBE-SERVICES and the other top-level chains are rewritten in full (as kube-proxy does),
// only the changed service's KUBE-SVC/KUBE-SEP chains are written, stale KUBE-SEP chains -X'd.
std::string iptables_partial(const std::vector<BenchService>& svcs, size_t changed,
                             const std::vector<SvcEndpoint>& old_eps);

// nft -f input for kube-proxy's nftables layout (table ip kube-proxy).
std::string nft_full(const std::vector<BenchService>& svcs);
std::string nft_partial(const BenchService& changed, const std::vector<SvcEndpoint>& old_eps);

// The kernel floor: a table with only the dispatch verdict map (N elements) and an endpoint DNAT
// map (2N elements), one chain: what any map-based layout must hand the kernel at least.
std::string nft_floor(const std::vector<BenchService>& svcs);

}  // namespace podnet::bench
