// The text and JSON of a predicted path.
#include <gtest/gtest.h>

#include "lab_facts.hpp"
#include "podnet/trace/report.hpp"

namespace podnet::trace::testing {
namespace {

Path sample() {
  Path p;
  p.hops = {
      Hop{1, kA, "pod/a", "route", "to 203.0.113.1 via 192.168.1.1 dev eth0",
          "default via 192.168.1.1 dev eth0"},
      Hop{2, kN1, "node/lxb001", "drop", "route: no route to 203.0.113.1: Network is unreachable",
          "route lookup (RTM_GETROUTE 203.0.113.1 from 192.168.1.2 iif pnbA)"}};
  p.verdict = Verdict{false, 2, "node/lxb001", "no route to 203.0.113.1: Network is unreachable"};
  p.delivered_as =
      Packet{.dst = ip("203.0.113.1"), .src = ip("192.168.1.2"), .proto = Proto::tcp, .port = 80};
  return p;
}

TEST(Report, Text) {
  TraceHeader h{
      Endpoint{.kind = "pod", .name = "a", .netns = kA, .ip = ip("192.168.1.2"), .node = "lxb001"},
      Endpoint{.kind = "ext", .name = "ext", .netns = kExt, .ip = ip("203.0.113.1")}, Proto::tcp,
      80};
  EXPECT_EQ(predicted_text(h, sample()),
            "trace pod/a (192.168.1.2 on lxb001) -> ext (203.0.113.1)  tcp/80\n"
            "\n"
            "PREDICTED PATH (read from the kernel)\n"
            "HOP   WHERE         STEP    WHAT                                                     "
            "DECIDED BY\n"
            "1     pod/a         route   to 203.0.113.1 via 192.168.1.1 dev eth0                  "
            "default via 192.168.1.1 dev eth0\n"
            "2     node/lxb001   drop    route: no route to 203.0.113.1: Network is unreachable   "
            "route lookup (RTM_GETROUTE 203.0.113.1 from 192.168.1.2 iif pnbA)\n"
            "predicted: dropped at hop 2 (node/lxb001): no route to 203.0.113.1: Network is "
            "unreachable\n");
}

TEST(Report, Json) {
  auto j = predicted_json(sample());
  ASSERT_EQ(j["hops"].size(), 2u);
  EXPECT_EQ(j["hops"][1]["hop"], 2);
  EXPECT_EQ(j["hops"][1]["netns"], kN1);
  EXPECT_EQ(j["hops"][1]["where"], "node/lxb001");
  EXPECT_EQ(j["hops"][1]["step"], "drop");
  EXPECT_EQ(j["hops"][0]["decidedBy"], "default via 192.168.1.1 dev eth0");
  EXPECT_EQ(j["verdict"]["delivered"], false);
  EXPECT_EQ(j["verdict"]["hop"], 2);
  EXPECT_EQ(j["lastSeenAs"]["src"], "192.168.1.2");
  EXPECT_EQ(j["lastSeenAs"]["port"], 80);
  auto e = endpoint_json(Endpoint{.kind = "node", .name = "lxb001", .netns = kN1});
  EXPECT_EQ(e["ip"], nullptr);
  EXPECT_FALSE(e.contains("node"));
}

}  // namespace
}  // namespace podnet::trace::testing
