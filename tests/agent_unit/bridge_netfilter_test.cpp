#include "podnet/agent/bridge_netfilter.hpp"

#include <gtest/gtest.h>

namespace podnet::agent {
namespace {

TEST(BridgeNetfilter, WarnsOnlyInBridgeModeWithoutIt) {
  EXPECT_FALSE(bridge_netfilter_warning(cluster::PodMode::ptp, false));
  EXPECT_FALSE(bridge_netfilter_warning(cluster::PodMode::bridge, true));
  auto w = bridge_netfilter_warning(cluster::PodMode::bridge, false);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("br_netfilter is not loaded"), std::string::npos) << *w;
  EXPECT_NE(w->find("modprobe br_netfilter"), std::string::npos) << *w;
}

}  // namespace
}  // namespace podnet::agent
