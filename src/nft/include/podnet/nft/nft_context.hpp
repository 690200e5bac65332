#pragma once
// libnftables context: runs nft command text as one atomic transaction (a batch) in the
// caller's network namespace. No fork of `nft`.
#include <memory>
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"

struct nft_ctx;

namespace podnet::nft {

class NftContext {
 public:
  static Result<NftContext> create();

  // Runs commands (one per line or separated by ';'); all of them commit or none does.
  // Returns what nft printed (list output). Errors carry nft's own message.
  Result<std::string> run(std::string_view commands);

  // List output ends each rule and chain with "# handle N" (as `nft -a`).
  Result<> show_handles();

 private:
  struct Free {
    void operator()(nft_ctx* c) const;
  };
  explicit NftContext(nft_ctx* c) : ctx_(c) {}
  std::unique_ptr<nft_ctx, Free> ctx_;
};

}  // namespace podnet::nft
