#pragma once
// Builds IPAM configs from JSON text for the unit tests.
#include <gtest/gtest.h>

#include <string>

#include "podnet/cni/netconf.hpp"
#include "podnet/ipam/config.hpp"

namespace podnet::ipam::testing {

// A network config around the given ipam object body (and optional extra top-level keys).
inline std::string netconf(const std::string& ipam, const std::string& extra = "") {
  return R"({"cniVersion":"1.1.0","name":"net1","type":"podnet-ipam",)" + extra +
         (extra.empty() ? "" : ",") + R"("ipam":)" + ipam + "}";
}

inline std::expected<IpamConfig, cni::CniError> parse(const std::string& text,
                                                      const CniArgs& args = {}) {
  auto conf = cni::parse_netconf(text);
  if (!conf) return std::unexpected(conf.error());
  return parse_ipam_config(*conf, args);
}

inline IpamConfig parse_ok(const std::string& text, const CniArgs& args = {}) {
  auto c = parse(text, args);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().msg);
  return c ? *c : IpamConfig{};
}

inline net::IpAddress ip(const char* s) {
  return *net::IpAddress::parse(s);
}

}  // namespace podnet::ipam::testing
