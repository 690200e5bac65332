#include "podnet/nft/nft_context.hpp"

#include <dlfcn.h>
#include <nftables/libnftables.h>

#include <string>

namespace podnet::nft {

namespace {
// libnftables is loaded on first use: the CNI plugin needs it only to create its table once
// per node, and linking it would cost every invocation its ~3000 dynamic relocations.
struct Api {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_get_output_buffer) get_output = nullptr;
  decltype(&nft_ctx_get_error_buffer) get_error = nullptr;
  decltype(&nft_run_cmd_from_buffer) run = nullptr;
  decltype(&nft_ctx_output_get_flags) get_flags = nullptr;
  decltype(&nft_ctx_output_set_flags) set_flags = nullptr;
};

Result<const Api*> api() {
  static Api a;
  static std::string load_error;
  static bool loaded = [] {
    void* h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      load_error = e ? e : "dlopen failed";
      return false;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
      return fn != nullptr;
    };
    bool ok = sym(a.ctx_new, "nft_ctx_new") && sym(a.ctx_free, "nft_ctx_free") &&
              sym(a.buffer_output, "nft_ctx_buffer_output") &&
              sym(a.buffer_error, "nft_ctx_buffer_error") &&
              sym(a.get_output, "nft_ctx_get_output_buffer") &&
              sym(a.get_error, "nft_ctx_get_error_buffer") &&
              sym(a.run, "nft_run_cmd_from_buffer") &&
              sym(a.get_flags, "nft_ctx_output_get_flags") &&
              sym(a.set_flags, "nft_ctx_output_set_flags");
    if (!ok) load_error = "libnftables.so.1 lacks an expected symbol";
    return ok;
  }();
  if (!loaded) return fail(fmt::format("nftables: cannot load libnftables: {}", load_error));
  return &a;
}
}  // namespace

void NftContext::Free::operator()(nft_ctx* c) const {
  if (auto a = api()) (*a)->ctx_free(c);
}

Result<NftContext> NftContext::create() {
  const Api* a = PODNET_TRY(api());
  nft_ctx* c = a->ctx_new(NFT_CTX_DEFAULT);
  if (!c) return fail("nftables: cannot create a libnftables context");
  NftContext ctx(c);
  a->buffer_output(c);
  a->buffer_error(c);
  return ctx;
}

Result<std::string> NftContext::run(std::string_view commands) {
  const Api* a = PODNET_TRY(api());
  std::string buf(commands);
  errno = 0;
  int rc = a->run(ctx_.get(), buf.c_str());
  int err = errno;
  std::string out = a->get_output(ctx_.get());
  std::string errtext = a->get_error(ctx_.get());
  if (rc != 0) {
    while (!errtext.empty() && (errtext.back() == '\n' || errtext.back() == ' ')) errtext.pop_back();
    // Keep only nft's first line: the caret diagram after it is noise in a one-line error.
    auto nl = errtext.find('\n');
    std::string first = nl == std::string::npos ? errtext : errtext.substr(0, nl);
    return std::unexpected(
        Error{err, fmt::format("nftables: {}", first.empty() ? "command failed" : first)});
  }
  return out;
}

Result<> NftContext::show_handles() {
  const Api* a = PODNET_TRY(api());
  a->set_flags(ctx_.get(), a->get_flags(ctx_.get()) | NFT_CTX_OUTPUT_HANDLE);
  return {};
}

}  // namespace podnet::nft
