// inspect node's report: text for people, JSON for machines, and the exit status.
#include <gtest/gtest.h>

#include "core/node_inspect_view.hpp"

namespace podnet::ctl {
namespace {

bool has(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

NodeInspection sample() {
  NodeInspection n;
  n.node = "lxb001";
  n.internal_ip = "10.1.1.15";
  n.pod_cidr = "192.168.0.0/24";
  n.heartbeat = 1000;
  n.now = 1012;
  n.lease_key = "/podnet/subnets/192.168.0.0-24";
  n.lease_found = true;
  n.lease_holder = "lxb001";
  n.lease_id = 0x1f;
  n.backend = "vxlan";
  n.vni = 1;
  n.port = 8472;
  n.vtep_name = "podnet.1";
  n.vtep = {.exists = true,
            .kind = "vxlan",
            .mac = "02:00:00:00:00:01",
            .mtu = 1450,
            .up = true,
            .vni = 1,
            .port = 8472};
  n.vtep_rows = {{"vtep", EntryState::present, "mtu 1450", "mtu 1450"}};
  n.underlay = "eth0 (ifindex 2, mtu 1500, 10.1.1.15/24)";
  PeerMatch p{.name = "lxb002", .internal_ip = "10.1.1.16", .pod_cidr = "192.168.1.0/24"};
  p.rows = {
      {"route", EntryState::present, "192.168.1.0/24 via 192.168.1.0 dev podnet.1 proto 80 onlink",
       "192.168.1.0/24 via 192.168.1.0 dev podnet.1 proto 80 onlink"},
      {"fdb", EntryState::present, "02:00:00:00:00:02 dev podnet.1 dst 10.1.1.16 self permanent",
       "02:00:00:00:00:02 dev podnet.1 dst 10.1.1.16 self permanent"}};
  n.match.peers = {p};
  n.masq_table = "ip podnet";
  n.masq_rows = {{"rule", EntryState::present, "ip saddr 192.168.0.0/24 masquerade",
                  "ip saddr 192.168.0.0/24 masquerade"}};
  n.services.services = 2;
  n.services.read_back = 2;
  n.services.ports = 3;
  n.services.endpoints = 4;
  n.services.elements = 11;
  n.podnetd = nlohmann::json{{"now", 1012.0},
                             {"ready", true},
                             {"reason", "ok"},
                             {"store", {{"up", true}}},
                             {"reconcile",
                              {{"lastDurationSeconds", 0.0012},
                               {"lastTimestamp", 1010.0},
                               {"lastError", ""},
                               {"total", 5},
                               {"errors", 0}}},
                             {"proxy",
                              {{"enabled", true},
                               {"servicePorts", 3},
                               {"endpoints", 4},
                               {"syncErrors", 0},
                               {"lastSyncTimestamp", 1002.0}}}};
  return n;
}

TEST(NodeInspectView, TextAllMatching) {
  auto n = sample();
  auto t = inspect_node_text(n);
  EXPECT_TRUE(has(t, "node lxb001  10.1.1.15  podCIDR 192.168.0.0/24  MATCH\n")) << t;
  EXPECT_TRUE(has(t,
                  "lease      /podnet/subnets/192.168.0.0-24 held by lxb001 (store lease 1f)"
                  "  heartbeat 12s ago\n"))
      << t;
  EXPECT_TRUE(has(t, "backend    vxlan  VNI 1  port 8472\n")) << t;
  EXPECT_TRUE(has(t,
                  "vtep       podnet.1  mac 02:00:00:00:00:01  mtu 1450  vni 1  port 8472  UP: "
                  "as planned\n"))
      << t;
  EXPECT_TRUE(has(t, "podnetd    healthy, ready (ok)\n")) << t;
  EXPECT_TRUE(
      has(t, "last reconcile took 1.2 ms, 2s ago, no error (5 reconciles, 0 failed); store up"))
      << t;
  EXPECT_TRUE(has(t, "peers      1 (1 overlay, 0 direct): every entry present\n")) << t;
  EXPECT_TRUE(has(t, "    lxb002  10.1.1.16  192.168.1.0/24  overlay\n")) << t;
  EXPECT_TRUE(has(t,
                  "      present    route  192.168.1.0/24 via 192.168.1.0 dev podnet.1 proto 80 "
                  "onlink\n"))
      << t;
  EXPECT_TRUE(has(t, "stale      none")) << t;
  EXPECT_TRUE(has(t, "masquerade table ip podnet: 1 rule, as planned\n")) << t;
  EXPECT_TRUE(has(t, "services   2 (3 ports, 4 endpoints) in the store: 11 elements")) << t;
  EXPECT_TRUE(has(t,
                  "podnetd programmed 3 service ports, 4 endpoints; last sync 10s ago, 0 sync "
                  "errors\n"))
      << t;
  EXPECT_EQ(inspect_node_exit_code(n), 0);
}

TEST(NodeInspectView, ProblemsStandOutAndFail) {
  auto n = sample();
  n.match.peers[0].rows[1].state = EntryState::missing;
  n.match.peers[0].rows[1].actual = "";
  n.match.stale = {{"route", EntryState::stale, "",
                    "192.168.9.0/24 via 192.168.9.0 dev podnet.1 "
                    "proto 80 onlink"}};
  n.vtep_rows = {{"vtep", EntryState::different, "mtu 1450", "mtu 1400"}};
  auto t = inspect_node_text(n);
  EXPECT_TRUE(has(t, "MISMATCH\n")) << t;
  EXPECT_TRUE(has(t,
                  "      MISSING    fdb    02:00:00:00:00:02 dev podnet.1 dst 10.1.1.16 self "
                  "permanent\n"))
      << t;
  EXPECT_TRUE(has(t, "peers      1 (1 overlay, 0 direct): 1 entry not as planned\n")) << t;
  EXPECT_TRUE(has(t, "stale      1 podnet-owned entry the store does not explain\n")) << t;
  EXPECT_TRUE(has(t, "      STALE      route  192.168.9.0/24 via")) << t;
  EXPECT_TRUE(has(t, "NOT as planned")) << t;
  EXPECT_TRUE(has(t,
                  "      DIFFERENT  vtep   mtu 1450\n                        kernel has: mtu "
                  "1400\n"))
      << t;
  EXPECT_EQ(inspect_node_exit_code(n), 1);
}

TEST(NodeInspectView, PodnetdNotAnswering) {
  auto n = sample();
  n.podnetd.reset();
  n.podnetd_error = "podnetd not answering on 127.0.0.1:9402 in /var/run/netns/x: refused";
  auto t = inspect_node_text(n);
  EXPECT_TRUE(has(t, "podnetd    NOT ANSWERING: podnetd not answering on 127.0.0.1:9402")) << t;
  EXPECT_EQ(inspect_node_exit_code(n), 1);
  auto j = inspect_node_json(n);
  EXPECT_EQ(j["podnetd"]["error"], n.podnetd_error);
  EXPECT_EQ(j["match"], true);  // the kernel still matches; only podnetd is gone
}

TEST(NodeInspectView, Json) {
  auto n = sample();
  n.match.peers[0].rows[1].state = EntryState::missing;
  n.match.peers[0].rows[1].actual = "";
  auto j = inspect_node_json(n);
  EXPECT_EQ(j["node"], "lxb001");
  EXPECT_EQ(j["match"], false);
  EXPECT_EQ(j["backend"]["type"], "vxlan");
  EXPECT_EQ(j["backend"]["vni"], 1);
  EXPECT_EQ(j["lease"]["holder"], "lxb001");
  EXPECT_EQ(j["vtep"]["mtu"], 1450);
  ASSERT_EQ(j["peers"].size(), 1u);
  EXPECT_EQ(j["peers"][0]["path"], "overlay");
  EXPECT_EQ(j["peers"][0]["entries"][0]["state"], "present");
  EXPECT_EQ(j["peers"][0]["entries"][1]["state"], "missing");
  EXPECT_FALSE(j["peers"][0]["entries"][1].contains("actual"));
  EXPECT_EQ(j["masquerade"]["table"], "ip podnet");
  EXPECT_EQ(j["services"]["endpoints"], 4);
  EXPECT_EQ(j["podnetd"]["reason"], "ok");
}

TEST(NodeInspectView, ManyServicesAreSampled) {
  auto n = sample();
  EXPECT_FALSE(has(inspect_node_text(n), "read back:"));
  n.services.services = 5000;
  n.services.read_back = 100;
  auto t = inspect_node_text(n);
  EXPECT_TRUE(
      has(t, "(read back: the first 100 of 5000 Services; inspect service NAME for others)"))
      << t;
  EXPECT_EQ(inspect_node_json(n)["services"]["readBack"], 100);
  EXPECT_EQ(inspect_node_exit_code(n), 0);  // not read back is not a mismatch
}

TEST(NodeInspectView, Ages) {
  EXPECT_EQ(age_text(0, 100), "never");
  EXPECT_EQ(age_text(95, 100), "5s ago");
  EXPECT_EQ(age_text(1000, 1130), "2m10s ago");
  EXPECT_EQ(age_text(1000, 8260), "2h1m ago");
}

}  // namespace
}  // namespace podnet::ctl
