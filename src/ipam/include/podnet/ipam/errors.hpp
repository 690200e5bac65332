#pragma once
// podnet-ipam's own CNI error codes (100+ are plugin-defined), next to the shared ones in
// podnet/cni/error.hpp (101 ipam_exhausted is used as is).
#include <expected>
#include <string>
#include <type_traits>

#include "podnet/cni/error.hpp"
#include "podnet/common/error.hpp"

namespace podnet::ipam {

// A requested address (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips) is held by another
// container.
inline constexpr cni::Code kAddressInUse = static_cast<cni::Code>(104);
// The container/interface already holds an address in that range set (a second ADD without
// DEL); host-local refuses this too.
inline constexpr cni::Code kAlreadyAllocated = static_cast<cni::Code>(105);

inline std::unexpected<cni::CniError> cni_fail(cni::Code c, std::string msg) {
  return std::unexpected(cni::CniError(c, std::move(msg)));
}
// A storage failure (errno-level) as CNI code 5.
inline std::unexpected<cni::CniError> io_fail(const Error& e) {
  return std::unexpected(cni::CniError(cni::Code::io_failure, e.message));
}

// Converts a storage Result to the CNI error space (code 5) for PODNET_TRY.
template <typename T>
std::expected<T, cni::CniError> as_cni(Result<T> r) {
  if (!r) return io_fail(r.error());
  if constexpr (std::is_void_v<T>)
    return {};
  else
    return std::move(*r);
}

}  // namespace podnet::ipam
