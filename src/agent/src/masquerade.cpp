#include "masquerade.hpp"

#include <chrono>

#include "podnet/agent/masq_rules.hpp"
#include "podnet/common/log.hpp"

namespace podnet::agent {

Result<> Masquerade::ensure(const net::Prefix& subnet) {
  std::string text = masq_ruleset(subnet, cluster_cidr_);
  if (!stale_ && text == applied_) return {};
  auto t0 = std::chrono::steady_clock::now();
  if (!nft_) nft_.emplace(PODNET_TRY(nft::NftContext::create()));
  if (auto r = nft_->run(text); !r) return fail(r.error().context("nftables"));
  stale_ = false;
  if (text == applied_) {
    log::debug(
        "masquerade table {} re-asserted ({:.1f} ms)", kMasqTable,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return {};
  }
  applied_ = std::move(text);
  log::info("masquerade applied: {} to outside {} leaves from the node address", subnet.str(),
            cluster_cidr_.str());
  return {};
}

}  // namespace podnet::agent
