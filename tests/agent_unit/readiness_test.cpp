#include <gtest/gtest.h>

#include "podnet/agent/readiness.hpp"

namespace podnet::agent {
namespace {

using namespace std::chrono_literals;

TEST(Readiness, AllConditions) {
  auto now = std::chrono::steady_clock::now();
  ReadyInputs in{.lease_held = true,
                 .conflist_written = true,
                 .reconciled = true,
                 .last_store_ok = now - 1s,
                 .now = now,
                 .store_grace = 30s};
  EXPECT_TRUE(readiness(in).ready);
  EXPECT_EQ(readiness(in).reason, "ok");
  auto r = in;
  r.lease_held = false;
  EXPECT_EQ(readiness(r).reason, "no subnet lease");
  r = in;
  r.conflist_written = false;
  EXPECT_FALSE(readiness(r).ready);
  r = in;
  r.reconciled = false;
  EXPECT_EQ(readiness(r).reason, "routes not reconciled yet");
  r = in;
  r.last_store_ok = now - 31s;
  EXPECT_EQ(readiness(r).reason, "store not reachable recently");
  r = in;
  r.last_store_ok = {};
  EXPECT_FALSE(readiness(r).ready);
}

}  // namespace
}  // namespace podnet::agent
