#pragma once
// Propagates a CniError from an expression yielding std::expected<T, CniError>.
#define PODNET_CNI_TRY(expr)                                                        \
  ({                                                                                \
    auto&& podnet_cni_r_ = (expr);                                                  \
    if (!podnet_cni_r_) return std::unexpected(std::move(podnet_cni_r_).error());   \
    std::move(podnet_cni_r_).value();                                               \
  })
