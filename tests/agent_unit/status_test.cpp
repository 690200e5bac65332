#include <gtest/gtest.h>

#include "podnet/agent/status.hpp"

namespace podnet::agent {
namespace {

TEST(Status, CarriesReadinessReasonAndLastReconcile) {
  MetricsSnapshot m;
  m.node = "lxb001";
  m.subnet = "192.168.4.0/24";
  m.lease_held = true;
  m.reconcile_seconds = 0.0021;
  m.reconcile_timestamp = 1764145000;
  m.reconcile_error = "reconcile: add route 192.168.5.0/24: Network is unreachable";
  m.reconciles = 7;
  m.reconcile_errors = 2;
  m.peers = 3;
  m.peers_direct = 1;
  auto j = render_status(m, Readiness{false, "first reconcile not done"}, 1764145010);
  EXPECT_EQ(j["node"], "lxb001");
  EXPECT_EQ(j["healthy"], true);
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["reason"], "first reconcile not done");
  EXPECT_EQ(j["now"], 1764145010.0);
  EXPECT_EQ(j["lease"]["subnet"], "192.168.4.0/24");
  EXPECT_EQ(j["lease"]["held"], true);
  EXPECT_DOUBLE_EQ(j["reconcile"]["lastDurationSeconds"].get<double>(), 0.0021);
  EXPECT_EQ(j["reconcile"]["lastTimestamp"], 1764145000.0);
  EXPECT_EQ(j["reconcile"]["lastError"], m.reconcile_error);
  EXPECT_EQ(j["reconcile"]["errors"], 2);
  EXPECT_EQ(j["reconcile"]["peers"], 3);
  EXPECT_EQ(j["reconcile"]["peersDirect"], 1);
  // Without the service proxy only "enabled" is said.
  EXPECT_EQ(j["proxy"], nlohmann::json({{"enabled", false}}));
}

TEST(Status, ProxyFiguresWhenEnabled) {
  MetricsSnapshot m;
  m.proxy.enabled = true;
  m.proxy.services = 4;
  m.proxy.endpoints = 9;
  m.proxy.sync_full.observe(0.01);
  m.proxy.sync_partial.observe(0.001);
  m.proxy.sync_partial.observe(0.001);
  m.proxy.last_sync_timestamp = 1764145005;
  auto j = render_status(m, Readiness{true, "ok"}, 0);
  EXPECT_EQ(j["proxy"]["servicePorts"], 4);
  EXPECT_EQ(j["proxy"]["endpoints"], 9);
  EXPECT_EQ(j["proxy"]["syncs"], 3);
  EXPECT_EQ(j["proxy"]["lastSyncTimestamp"], 1764145005.0);
  EXPECT_EQ(j["ready"], true);
  EXPECT_EQ(j["reason"], "ok");
}

}  // namespace
}  // namespace podnet::agent
