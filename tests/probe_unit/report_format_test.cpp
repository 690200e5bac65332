// Trace event -> report line, and the whole report's text and JSON shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "podnet/probe/report.hpp"

namespace podnet::probe {
namespace {

TraceEvent dnat_event() {
  TraceEvent e;
  e.ns = "node";
  e.trace_id = 42;
  e.family = "ip";
  e.table = "nat";
  e.chain = "pre";
  e.hook = Hook::prerouting;
  e.kind = TraceEvent::Kind::rule;
  e.rule_handle = 3;
  e.rule_text = "tcp dport 80 dnat to 10.0.1.3:8080";
  e.verdict = "accept";
  e.iif = "veth0";
  e.packet.src = "10.0.0.2";
  e.packet.dst = "10.96.0.10";
  e.packet.sport = 40000;
  e.packet.dport = 80;
  e.packet.proto = "tcp";
  e.packet.detail = "SYN";
  e.direction = Direction::request;
  return e;
}

TEST(FormatEvent, RuleLineHasHookRuleVerdictInterfacesAndPacket) {
  EXPECT_EQ(format_event(dnat_event()),
            "prerouting  10.0.0.2:40000 > 10.96.0.10:80 tcp SYN  iif=veth0  ip nat pre rule #3: "
            "tcp dport 80 dnat to 10.0.1.3:8080 -> accept");
}

TEST(FormatEvent, PolicyLine) {
  TraceEvent e;
  e.family = "inet";
  e.table = "filter";
  e.chain = "input";
  e.hook = Hook::input;
  e.kind = TraceEvent::Kind::policy;
  e.verdict = "drop";
  EXPECT_EQ(format_event(e), "input        inet filter input policy -> drop");
}

TEST(FormatEvent, OwnChainsSayOnlyWhereThePacketWas) {
  auto e = dnat_event();
  e.table = "podnet-trace";
  e.chain = "seen-forward";
  e.hook = Hook::forward;
  e.oif = "eth1";
  EXPECT_EQ(format_event(e),
            "forward     10.0.0.2:40000 > 10.96.0.10:80 tcp SYN  iif=veth0 oif=eth1");
}

TEST(FormatPacket, IcmpShowsTypeAndId) {
  PacketView p;
  p.src = "10.0.0.2";
  p.dst = "10.0.1.3";
  p.proto = "icmp";
  p.detail = "echo-request";
  p.icmp_id = 77;
  EXPECT_EQ(format_packet(p), "10.0.0.2 > 10.0.1.3 icmp echo-request id=77");
}

ProbeReport sample() {
  ProbeReport r;
  r.protocol = Protocol::tcp;
  r.source = "10.0.0.2";
  r.source_port = 40000;
  r.destination = "10.96.0.10";
  r.destination_port = 80;
  r.namespaces = {"pod", "node"};
  r.events = {dnat_event()};
  r.answer = Answer{Answer::Kind::syn_ack, "", "10.96.0.10"};
  r.verdict = assemble_verdict(r.events, r.answer);
  return r;
}

TEST(FormatReport, EventsUnderTheirNamespaceThenSilentNamespacesAnswerAndVerdict) {
  EXPECT_EQ(format_report(sample()),
            "probe tcp 10.0.0.2:40000 -> 10.96.0.10:80\n"
            "  node\n"
            "    > prerouting  10.0.0.2:40000 > 10.96.0.10:80 tcp SYN  iif=veth0  ip nat pre rule "
            "#3: tcp dport 80 dnat to 10.0.1.3:8080 -> accept\n"
            "  pod: no trace events\n"
            "  answer: SYN-ACK from 10.96.0.10\n"
            "  verdict: delivered (answer: SYN-ACK from 10.96.0.10)\n");
}

TEST(ReportJson, Shape) {
  auto j = to_json(sample());
  EXPECT_EQ(j["protocol"], "tcp");
  EXPECT_EQ(j["sourcePort"], 40000);
  EXPECT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["hook"], "prerouting");
  EXPECT_EQ(j["events"][0]["ruleHandle"], 3);
  EXPECT_EQ(j["events"][0]["rule"], "tcp dport 80 dnat to 10.0.1.3:8080");
  EXPECT_EQ(j["events"][0]["packet"]["dst"], "10.96.0.10");
  EXPECT_EQ(j["answer"]["kind"], "syn-ack");
  EXPECT_EQ(j["verdict"]["delivered"], true);
  EXPECT_FALSE(j["verdict"].contains("droppedBy"));
}

}  // namespace
}  // namespace podnet::probe
