#pragma once
// podnetd's egress masquerade: the nftables table `ip podnet` (`ip6 podnet`) from
// masq_ruleset(), replaced in one libnftables transaction (no `nft` process). ensure() replaces
// it when the wanted text is not the one applied, or when the loop marked it stale: its full
// pass does, so a rule or the table deleted by hand (`nft flush ruleset`) comes back.
#include <optional>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/nft/nft_context.hpp"

namespace podnet::agent {

class Masquerade {
 public:
  explicit Masquerade(net::Prefix cluster_cidr) : cluster_cidr_(cluster_cidr) {}

  Result<> ensure(const net::Prefix& subnet);
  // The kernel may no longer hold what was applied: the next ensure() replaces the table.
  void stale() { stale_ = true; }
  // The table is in place as far as podnetd knows (else the loop retries ensure()).
  bool in_place() const { return !stale_ && !applied_.empty(); }

 private:
  net::Prefix cluster_cidr_;
  std::optional<nft::NftContext> nft_;  // one libnftables context, kept
  std::string applied_;                 // the text last applied
  bool stale_ = false;
};

}  // namespace podnet::agent
