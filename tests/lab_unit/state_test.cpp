#include "podnet/lab/state.hpp"

#include <gtest/gtest.h>

namespace podnet::lab {
namespace {

LabState sample() {
  LabSpec spec;
  spec.name = "podnet";
  spec.nodes = 3;
  spec.store = StoreKind::etcd;
  spec.backend = cluster::BackendType::vxlan;
  spec.direct_routing = true;
  spec.mode = cluster::PodMode::bridge;
  auto s = make_state(spec, 1764145000);
  EXPECT_TRUE(s);
  s->processes.push_back({"podnetd", "lxb001", 1234, 99887766, "podnet-lxb001",
                          "/run/podnet-lab/podnet/logs/podnetd-lxb001.log"});
  s->processes.push_back({"controller", "", 1240, 99887770, "podnet-ext",
                          "/run/podnet-lab/podnet/logs/controller.log"});
  return *s;
}

TEST(LabState, MakeState) {
  auto s = sample();
  EXPECT_EQ(s.store_url, "etcd://10.1.1.2:2379?insecure=1");
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_NE(s.find_node("lxb002"), nullptr);
  EXPECT_EQ(s.find_node("lxb004"), nullptr);
  ASSERT_NE(s.find_process("podnetd", "lxb001"), nullptr);
  EXPECT_EQ(s.find_process("podnetd", "lxb001")->pid, 1234);
  EXPECT_NE(s.find_process("controller"), nullptr);
  EXPECT_EQ(s.find_process("kubelet", "lxb001"), nullptr);
}

TEST(LabState, RoundTrip) {
  auto s = sample();
  auto back = parse_state(to_json(s).dump(2));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(LabState, ModeRemembered) {
  auto j = to_json(sample());
  EXPECT_EQ(j["mode"], "bridge");
  // A lab.json written before --mode: its pods are routed (ptp), podnetd's default.
  j.erase("mode");
  auto back = parse_state(j.dump());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->spec.mode, cluster::PodMode::ptp);
}

TEST(LabState, RoundTripWithoutProcesses) {
  auto s = sample();
  s.processes.clear();
  auto j = to_json(s);
  j.erase("processes");  // a lab.json written before any process started
  auto back = parse_state(j.dump());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
}

void expect_invalid(nlohmann::json j, std::string_view needle) {
  auto r = parse_state(j.dump());
  ASSERT_FALSE(r) << j.dump();
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST(LabState, Invalid) {
  EXPECT_FALSE(parse_state("not json"));
  EXPECT_FALSE(parse_state("[]"));
  auto j = to_json(sample());
  {
    auto k = j;
    k["name"] = "Bad_Name";
    expect_invalid(k, "--lab");
  }
  {
    auto k = j;
    k.erase("storeURL");
    expect_invalid(k, "storeURL");
  }
  {
    auto k = j;
    k["store"] = "mysql";
    expect_invalid(k, "store");
  }
  {
    auto k = j;
    k["backend"] = "udp";
    expect_invalid(k, "backend");
  }
  {
    auto k = j;
    k["mode"] = "routed";
    expect_invalid(k, "mode: \"routed\" is not ptp or bridge");
  }
  {
    auto k = j;
    k["nodes"] = nlohmann::json::array();
    expect_invalid(k, "nodes");
  }
  {
    auto k = j;
    k["nodes"][1]["ip"] = "10.1.1";
    expect_invalid(k, "nodes[1].ip");
  }
  {
    auto k = j;
    k["nodes"][1]["name"] = "lxb001";
    expect_invalid(k, "twice");
  }
  {
    auto k = j;
    k["processes"][0]["pid"] = 0;
    expect_invalid(k, "processes[0].pid");
  }
  {
    auto k = j;
    k["processes"][1].erase("role");
    expect_invalid(k, "processes[1].role");
  }
  {
    auto k = j;
    k["created"] = "yesterday";
    expect_invalid(k, "created");
  }
}

}  // namespace
}  // namespace podnet::lab
