#include "podnet/nft/nft_context.hpp"

#include <nftables/libnftables.h>

#include <string>

namespace podnet::nft {

void NftContext::Free::operator()(nft_ctx* c) const { nft_ctx_free(c); }

Result<NftContext> NftContext::create(bool json_output) {
  nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!c) return fail("nftables: cannot create a libnftables context");
  NftContext ctx(c);
  nft_ctx_buffer_output(c);
  nft_ctx_buffer_error(c);
  if (json_output) nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON);
  return ctx;
}

Result<std::string> NftContext::run(std::string_view commands) {
  std::string buf(commands);
  errno = 0;
  int rc = nft_run_cmd_from_buffer(ctx_.get(), buf.c_str());
  int err = errno;
  std::string out = nft_ctx_get_output_buffer(ctx_.get());
  std::string errtext = nft_ctx_get_error_buffer(ctx_.get());
  if (rc != 0) {
    while (!errtext.empty() && (errtext.back() == '\n' || errtext.back() == ' ')) errtext.pop_back();
    // Keep only nft's first line: the caret diagram after it is noise in a one-line error.
    auto nl = errtext.find('\n');
    std::string first = nl == std::string::npos ? errtext : errtext.substr(0, nl);
    return std::unexpected(Error{err, fmt::format("nftables: {}", first.empty() ? "command failed" : first)});
  }
  return out;
}

}  // namespace podnet::nft
