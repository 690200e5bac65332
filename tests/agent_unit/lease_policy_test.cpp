#include <gtest/gtest.h>

#include "podnet/agent/lease_policy.hpp"

namespace podnet::agent {
namespace {

using namespace std::chrono_literals;

TEST(LeasePolicy, KeepAliveAnswers) {
  EXPECT_EQ(keep_alive_step(Result<std::chrono::seconds>(30s)), KeepAlive::renewed);
  // 0: the store no longer has the lease (expired while we were cut off, or revoked).
  EXPECT_EQ(keep_alive_step(Result<std::chrono::seconds>(0s)), KeepAlive::gone);
  // No answer: the lease may still be there; keep the subnet and try at the next tick.
  EXPECT_EQ(keep_alive_step(fail("store: connection refused")), KeepAlive::store_failed);
}

TEST(LeasePolicy, HowAndReacquiredMessages) {
  using S = cluster::SubnetChoice::Source;
  EXPECT_STREQ(acquired_how(S::fresh), "leased");
  EXPECT_STREQ(acquired_how(S::held), "kept (lease held)");
  EXPECT_STREQ(acquired_how(S::previous), "kept (recorded)");
  auto a = *net::Prefix::parse("192.168.1.0/24"), b = *net::Prefix::parse("192.168.4.0/24");
  EXPECT_EQ(reacquired_message(a, a), "lease lost, re-acquired 192.168.1.0/24");
  EXPECT_EQ(reacquired_message(a, b),
            "lease lost, re-acquired 192.168.4.0/24 (was 192.168.1.0/24: taken meanwhile)");
}

}  // namespace
}  // namespace podnet::agent
