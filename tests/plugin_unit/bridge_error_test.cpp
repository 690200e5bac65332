#include <gtest/gtest.h>

#include <cerrno>

#include "podnet/plugin/bridge_error.hpp"

namespace podnet::plugin {
namespace {

TEST(BridgeError, VanishedBridgeMeansTryAgainLater) {
  auto e = bridge_error(ENODEV, "bridge pnbr0: add 10.1.0.1/24");
  EXPECT_EQ(e.code, cni::Code::try_again_later);
  EXPECT_EQ(static_cast<int>(e.code), 11);
  EXPECT_NE(e.msg.find("pnbr0"), std::string::npos);
  EXPECT_EQ(bridge_error(EPERM, "bridge pnbr0").code, cni::Code::io_failure);
}

}  // namespace
}  // namespace podnet::plugin
