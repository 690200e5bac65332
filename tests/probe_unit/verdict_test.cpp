// Verdict assembly from recorded event lists: delivered, dropped where and by what, lost.
#include <gtest/gtest.h>

#include "podnet/probe/report.hpp"

namespace podnet::probe {
namespace {

TraceEvent ev(std::string ns, Hook hook, std::string chain, TraceEvent::Kind kind,
              std::string verdict, Direction d, uint64_t handle = 0) {
  TraceEvent e;
  e.ns = std::move(ns);
  e.family = "inet";
  e.table = "podnet-trace";
  e.chain = std::move(chain);
  e.hook = hook;
  e.kind = kind;
  e.verdict = std::move(verdict);
  e.direction = d;
  e.rule_handle = handle;
  return e;
}

using K = TraceEvent::Kind;
const auto req = Direction::request;
const auto rep = Direction::reply;

std::vector<TraceEvent> path_to(std::string last_ns) {
  return {ev("a", Hook::output, "mark-output", K::rule, "continue", req, 3),
          ev("a", Hook::postrouting, "seen-postrouting", K::policy, "accept", req),
          ev(last_ns, Hook::prerouting, "mark-prerouting", K::rule, "continue", req, 2),
          ev(last_ns, Hook::input, "seen-input", K::policy, "accept", req)};
}

TEST(AssembleVerdict, DeliveredAndAnswered) {
  auto events = path_to("b");
  events.push_back(ev("b", Hook::output, "mark-output", K::rule, "continue", rep, 4));
  auto v = assemble_verdict(events, Answer{Answer::Kind::syn_ack, "", "10.0.1.3"});
  EXPECT_TRUE(v.delivered);
  EXPECT_TRUE(v.answered);
  EXPECT_EQ(v.where_ns, "b");
  EXPECT_EQ(v.summary, "delivered to b (answer: SYN-ACK from 10.0.1.3)");
}

TEST(AssembleVerdict, SeenAtInputWithoutAnswerIsDeliveredUnanswered) {
  auto v = assemble_verdict(path_to("b"), Answer{});
  EXPECT_TRUE(v.delivered);
  EXPECT_FALSE(v.answered);
  EXPECT_EQ(v.summary, "delivered to b; no answer");
}

TEST(AssembleVerdict, AnswerWithoutEventsStillDelivered) {
  auto v = assemble_verdict({}, Answer{Answer::Kind::echo_reply, "", "10.0.1.3"});
  EXPECT_TRUE(v.delivered);
  EXPECT_EQ(v.summary, "delivered (answer: echo reply from 10.0.1.3)");
}

TEST(AssembleVerdict, DropByRuleNamesNamespaceHookAndRule) {
  auto events = path_to("mid");
  events.pop_back();
  auto drop = ev("mid", Hook::forward, "fwd", K::rule, "drop", req, 7);
  drop.table = "filter";
  drop.family = "ip";
  drop.rule_text = "ip daddr 10.0.1.3 tcp dport 80 drop";
  events.push_back(drop);
  auto v = assemble_verdict(events, Answer{});
  EXPECT_FALSE(v.delivered);
  ASSERT_TRUE(v.dropped_by);
  EXPECT_EQ(v.dropped_by->rule_handle, 7u);
  EXPECT_EQ(v.where_ns, "mid");
  EXPECT_EQ(v.where_hook, Hook::forward);
  EXPECT_EQ(v.summary,
            "dropped in mid at forward by rule #7 of ip filter fwd (ip daddr 10.0.1.3 tcp dport 80 "
            "drop)");
}

TEST(AssembleVerdict, RejectIsADropEvenWithAnRstBack) {
  auto events = path_to("mid");
  events.pop_back();
  events.push_back(ev("mid", Hook::forward, "fwd", K::rule, "drop", req, 9));
  auto v = assemble_verdict(events, Answer{Answer::Kind::rst, "", "10.0.1.3"});
  EXPECT_FALSE(v.delivered);
  EXPECT_NE(v.summary.find("answer: RST"), std::string::npos);
}

TEST(AssembleVerdict, PolicyDropNamesTheChain) {
  std::vector<TraceEvent> events = {ev("b", Hook::input, "input", K::policy, "drop", req)};
  auto v = assemble_verdict(events, Answer{});
  EXPECT_EQ(v.summary, "dropped in b at input by the policy of chain inet podnet-trace input");
}

TEST(AssembleVerdict, LostAfterPreroutingSuggestsNoRoute) {
  auto events = path_to("mid");
  events.pop_back();
  auto v =
      assemble_verdict(events, Answer{Answer::Kind::icmp_error, "net unreachable", "10.9.0.1"});
  EXPECT_FALSE(v.delivered);
  EXPECT_EQ(v.where_ns, "mid");
  EXPECT_EQ(v.summary,
            "not delivered: ICMP net unreachable from 10.9.0.1; last seen in mid at prerouting: "
            "neither forwarded nor delivered there (no route?)");
}

TEST(AssembleVerdict, UdpPortUnreachableMeansDeliveredAndAnswered) {
  auto v =
      assemble_verdict(path_to("b"), Answer{Answer::Kind::icmp_error, "port unreachable", "x"});
  EXPECT_TRUE(v.delivered);
  EXPECT_TRUE(v.answered);
}

TEST(AssembleVerdict, LocalErrorIsNotSent) {
  auto v = assemble_verdict({}, Answer{Answer::Kind::local_error, "Network is unreachable", ""});
  EXPECT_FALSE(v.delivered);
  EXPECT_EQ(v.summary, "not sent: Network is unreachable");
}

TEST(AssembleVerdict, LeftANamespaceAndVanished) {
  auto events = path_to("b");
  events.resize(2);
  events[1].oif = "veth0";
  auto v = assemble_verdict(events, Answer{});
  EXPECT_EQ(v.summary, "not delivered: left a at postrouting via veth0, not seen after");
}

TEST(AssembleVerdict, AnswerDroppedOnItsWayBack) {
  auto events = path_to("b");
  events.push_back(ev("a", Hook::prerouting, "in", K::rule, "drop", rep, 5));
  auto v = assemble_verdict(events, Answer{});
  EXPECT_TRUE(v.delivered);
  EXPECT_FALSE(v.answered);
  ASSERT_TRUE(v.dropped_by);
  EXPECT_NE(v.summary.find("the answer was dropped in a at prerouting"), std::string::npos);
}

TEST(InferHooks, JumpTargetsInheritTheBaseChainsHook) {
  std::vector<TraceEvent> events = {
      ev("a", Hook::prerouting, "pre", K::rule, "jump svc", req),
      ev("a", Hook::unknown, "svc", K::rule, "accept", req),
      ev("b", Hook::unknown, "x", K::rule, "accept", req),
  };
  events[2].iif = "eth0";
  events[2].oif = "eth1";
  infer_hooks(events);
  EXPECT_EQ(events[1].hook, Hook::prerouting);
  EXPECT_EQ(events[2].hook, Hook::forward);
}

TEST(CompleteEvents, LaterEventsOfAChainGetItsPacketAndNoiseGoes) {
  auto first = ev("m", Hook::forward, "filter_forward", K::rule, "continue", Direction::other, 4);
  first.table = "prbfilter";
  first.trace_id = 7;
  first.packet.src = "10.0.0.2";
  first.packet.dst = "10.0.1.3";
  first.packet.proto = "tcp";
  first.packet.sport = 40000;
  first.packet.dport = 80;
  auto drop = first;
  drop.rule_handle = 5;
  drop.verdict = "drop";
  drop.packet = {};
  drop.hook = Hook::unknown;
  auto mark =
      ev("m", Hook::prerouting, "mark-prerouting", K::rule, "continue", Direction::other, 2);
  mark.trace_id = 7;
  mark.packet = first.packet;
  auto end_of_chain = mark;
  end_of_chain.rule_handle = 0;
  end_of_chain.packet = {};
  auto mark_policy = mark;
  mark_policy.kind = K::policy;
  mark_policy.verdict = "accept";
  mark_policy.packet = {};
  std::vector<TraceEvent> events = {mark, end_of_chain, mark_policy, first, drop};
  complete_events(events, Protocol::tcp, 40000);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].chain, "mark-prerouting");
  EXPECT_EQ(events[2].verdict, "drop");
  EXPECT_EQ(events[2].packet.dst, "10.0.1.3");
  EXPECT_EQ(events[2].direction, Direction::request);
  EXPECT_EQ(events[2].hook, Hook::forward);  // its chain's, not the previous chain's
  EXPECT_TRUE(assemble_verdict(events, Answer{}).dropped_by);
}

TEST(CompleteEvents, APacketMatchingTwoMarkingRulesShowsOnce) {
  // The probe's SYN matches its port rule and its DSCP rule in the source namespace; a later
  // namespace (after a masquerade) only the DSCP rule.
  auto port_rule = ev("a", Hook::output, "mark-output", K::rule, "continue", req, 3);
  port_rule.trace_id = 5;
  port_rule.packet.src = "10.1.1.1";
  port_rule.packet.dst = "203.0.113.10";
  port_rule.packet.proto = "tcp";
  port_rule.packet.sport = 40000;
  port_rule.packet.dport = 80;
  port_rule.packet.dscp = kProbeDscp;
  auto dscp_rule = port_rule;
  dscp_rule.rule_handle = 9;
  dscp_rule.packet = {};
  auto far = ev("b", Hook::prerouting, "mark-prerouting", K::rule, "continue", req, 9);
  far.trace_id = 6;
  far.packet = port_rule.packet;
  far.packet.sport = 18919;
  // The SYN-ACK back in the source namespace: its port rule and its conntrack-mark rule.
  auto answer = ev("a", Hook::prerouting, "mark-prerouting", K::rule, "continue", rep, 4);
  answer.trace_id = 7;
  answer.packet = {.src = "203.0.113.10", .dst = "10.1.1.1", .sport = 80, .dport = 40000,
                   .proto = "tcp", .detail = "SYN-ACK"};
  auto answer_ct = answer;
  answer_ct.chain = "mark-ct-prerouting";
  answer_ct.rule_handle = 14;
  answer_ct.packet = {};
  std::vector<TraceEvent> events = {port_rule, dscp_rule, far, answer, answer_ct};
  complete_events(events, Protocol::tcp, 40000);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].rule_handle, 3u);
  EXPECT_EQ(events[1].ns, "b");
  EXPECT_EQ(events[1].direction, Direction::request);  // by its DSCP
}

TEST(CompleteEvents, AReplyWithTranslatedPortsIsTheReverseOfTheRequestSeenThere) {
  // In the endpoint's pod the request came masqueraded (192.168.1.0:19724); its SYN-ACK goes
  // back to that port, which is not the probe's.
  auto request = ev("pod", Hook::prerouting, "mark-prerouting", K::rule, "continue", req, 9);
  request.trace_id = 1;
  request.packet = {.src = "192.168.1.0", .dst = "192.168.0.2", .sport = 19724, .dport = 80,
                    .dscp = kProbeDscp, .proto = "tcp", .detail = "SYN"};
  auto ct_bookkeeping = ev("pod", Hook::prerouting, "mark-ct-prerouting", K::rule, "continue",
                           Direction::other, 12);
  ct_bookkeeping.trace_id = 1;
  ct_bookkeeping.packet = request.packet;
  auto reply = ev("pod", Hook::output, "mark-ct-output", K::rule, "continue", Direction::other, 14);
  reply.trace_id = 2;
  reply.packet = {.src = "192.168.0.2", .dst = "192.168.1.0", .sport = 80, .dport = 19724,
                  .proto = "tcp", .detail = "SYN-ACK"};
  auto stranger = reply;  // another flow in the same namespace
  stranger.trace_id = 3;
  stranger.packet.dport = 19725;
  std::vector<TraceEvent> events = {request, ct_bookkeeping, reply, stranger};
  complete_events(events, Protocol::tcp, 40000);
  ASSERT_EQ(events.size(), 3u);  // the request's pass through mark-ct-prerouting is not a hop
  EXPECT_EQ(events[0].direction, Direction::request);
  EXPECT_EQ(events[1].direction, Direction::reply);
  EXPECT_EQ(events[2].direction, Direction::other);
}

TEST(CompleteEvents, ChainsJumpedToGetThePacketOfTheirBaseChainRun) {
  auto jump = ev("node", Hook::prerouting, "nat-prerouting", K::rule, "jump services",
                 Direction::other, 203);
  jump.table = "podnet-svc";
  jump.trace_id = 9;
  jump.packet.src = "192.168.0.2";
  jump.packet.dst = "10.96.0.10";
  jump.packet.proto = "tcp";
  jump.packet.sport = 40000;
  jump.packet.dport = 80;
  jump.iif = "veth1";
  auto dnat = jump;
  dnat.chain = "pick-3";
  dnat.hook = Hook::unknown;
  dnat.rule_handle = 222;
  dnat.verdict = "accept";
  dnat.packet = {};
  dnat.iif.clear();
  std::vector<TraceEvent> events = {jump, dnat};
  complete_events(events, Protocol::tcp, 40000);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].hook, Hook::prerouting);
  EXPECT_EQ(events[1].packet.dst, "10.96.0.10");
  EXPECT_EQ(events[1].iif, "veth1");
  EXPECT_EQ(events[1].direction, Direction::request);
}

TEST(VerdictName, CodesAsNftPrintsThem) {
  EXPECT_EQ(verdict_name(0, ""), "drop");
  EXPECT_EQ(verdict_name(1, ""), "accept");
  EXPECT_EQ(verdict_name(-1, ""), "continue");
  EXPECT_EQ(verdict_name(-3, "svc"), "jump svc");
  EXPECT_EQ(verdict_name(-4, "x"), "goto x");
  EXPECT_EQ(verdict_name(-5, ""), "return");
  EXPECT_EQ(verdict_name(0x10003, ""), "queue");
  EXPECT_EQ(family_name(1), "inet");
  EXPECT_EQ(family_name(2), "ip");
  EXPECT_EQ(family_name(10), "ip6");
}

}  // namespace
}  // namespace podnet::probe
