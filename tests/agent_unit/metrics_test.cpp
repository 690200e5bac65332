#include <gtest/gtest.h>

#include "podnet/agent/metrics.hpp"

namespace podnet::agent {
namespace {

bool has(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

TEST(Metrics, RendersExposition) {
  MetricsSnapshot m;
  m.node = "lxb001";
  m.subnet = "192.168.4.0/24";
  m.lease_held = true;
  m.peers = 3;
  m.routes = 3;
  m.fdb = 3;
  m.neighbours = 3;
  m.reconcile_seconds = 0.0025;
  m.reconciles = 7;
  m.reconcile_errors = 1;
  m.lease_renewals = 12;
  m.store_up = true;
  m.ready = true;
  m.peers_direct = 2;
  m.underlay_mtu = 1500;
  m.underlay_changes = 1;
  std::string t = render_metrics(m);
  EXPECT_TRUE(has(t, "podnet_peers_direct{node=\"lxb001\"} 2\n"));
  EXPECT_TRUE(has(t, "podnet_underlay_mtu{node=\"lxb001\"} 1500\n"));
  EXPECT_TRUE(has(t,
                  "# TYPE podnet_underlay_changes_total counter\n"
                  "podnet_underlay_changes_total{node=\"lxb001\"} 1\n"));
  EXPECT_TRUE(has(t, "# HELP podnet_lease_held "));
  EXPECT_TRUE(has(t, "# TYPE podnet_lease_held gauge\npodnet_lease_held{node=\"lxb001\"} 1\n"));
  EXPECT_TRUE(has(t, "podnet_lease_info{node=\"lxb001\",subnet=\"192.168.4.0/24\"} 1\n"));
  EXPECT_TRUE(has(t, "podnet_peers{node=\"lxb001\"} 3\n"));
  EXPECT_TRUE(has(t, "podnet_programmed_routes{node=\"lxb001\"} 3\n"));
  EXPECT_TRUE(has(t, "podnet_programmed_fdb_entries{node=\"lxb001\"} 3\n"));
  EXPECT_TRUE(has(t, "podnet_programmed_neighbours{node=\"lxb001\"} 3\n"));
  EXPECT_TRUE(has(t, "podnet_reconcile_duration_seconds{node=\"lxb001\"} 0.002500\n"));
  EXPECT_TRUE(has(t,
                  "# TYPE podnet_reconcile_errors_total counter\n"
                  "podnet_reconcile_errors_total{node=\"lxb001\"} 1\n"));
  EXPECT_TRUE(has(t, "podnet_lease_renewals_total{node=\"lxb001\"} 12\n"));
  EXPECT_TRUE(has(t, "podnet_store_up{node=\"lxb001\"} 1\n"));
  EXPECT_TRUE(has(t, "podnet_ready{node=\"lxb001\"} 1\n"));
  EXPECT_EQ(t.back(), '\n');
  // Every sample line follows its HELP and TYPE.
  size_t samples = 0, types = 0;
  for (size_t p = 0; p < t.size();) {
    size_t e = t.find('\n', p);
    std::string line = t.substr(p, e - p);
    if (line.starts_with("# TYPE"))
      ++types;
    else if (!line.starts_with("#"))
      ++samples;
    p = e + 1;
  }
  EXPECT_EQ(samples, types);
}

TEST(Metrics, NoSubnetNoInfoAndEscaping) {
  MetricsSnapshot m;
  m.node = "a\"b\\c\nd";
  std::string t = render_metrics(m);
  EXPECT_FALSE(has(t, "podnet_lease_info"));
  EXPECT_TRUE(has(t, "podnet_lease_held{node=\"a\\\"b\\\\c\\nd\"} 0\n"));
  EXPECT_EQ(escape_label("plain"), "plain");
}

}  // namespace
}  // namespace podnet::agent
