// The trace table's text (one transaction, stale table replaced) and the ruleset listing reader.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "podnet/probe/trace_rules.hpp"

namespace podnet::probe {
namespace {

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(TraceTableCommands, ReplacesStaleTableThenMarksTheProbeEarly) {
  auto c = trace_table_commands({Protocol::tcp, 40000});
  EXPECT_EQ(c.rfind(remove_table_commands() + "add table inet podnet-trace\n", 0), 0u);
  EXPECT_TRUE(has(c,
                  "add chain inet podnet-trace mark-prerouting { type filter hook prerouting "
                  "priority -350; policy accept; }"));
  EXPECT_TRUE(has(c,
                  "add chain inet podnet-trace mark-output { type filter hook output priority "
                  "-350; policy accept; }"));
  EXPECT_TRUE(has(c, "tcp sport 40000 tcp flags & (syn | ack) == syn"));
  EXPECT_TRUE(has(c,
                  "tcp dport 40000 tcp flags & (syn | rst) != 0 limit rate 1/hour burst 1 "
                  "packets meta nftrace set 1"));
  EXPECT_TRUE(has(c, "@th,224,16 40000 meta nftrace set 1"));
  // The request after a masquerade changed its port: by the probe's DSCP.
  EXPECT_TRUE(has(c,
                  "add rule inet podnet-trace mark-prerouting ip dscp 7 tcp flags & (syn | ack) "
                  "== syn limit rate 1/hour burst 1 packets meta nftrace set 1"));
  EXPECT_TRUE(has(c, "add rule bridge podnet-trace mark-prerouting ip6 dscp 7 tcp flags"));
  EXPECT_TRUE(has(trace_table_commands({Protocol::udp, 40000}),
                  "mark-prerouting ip dscp 7 ip protocol udp meta nftrace set 1"));
  EXPECT_TRUE(has(trace_table_commands({Protocol::icmp, 7}),
                  "mark-prerouting ip dscp 7 icmp type echo-request meta nftrace set 1"));
  EXPECT_TRUE(has(c,
                  "add chain bridge podnet-trace mark-prerouting { type filter hook prerouting "
                  "priority -350; policy accept; }"));
  EXPECT_TRUE(has(c, "add rule bridge podnet-trace mark-prerouting tcp sport 40000"));
  for (auto hook : {"input", "forward", "postrouting"})
    EXPECT_TRUE(has(c, std::string("seen-") + hook + " { type filter hook " + hook +
                           " priority 500; policy accept; }"));
  // The bridge: frames switched between ports, and those the node sends into it.
  for (auto hook : {"forward", "output"})
    EXPECT_TRUE(has(c, std::string("add chain bridge podnet-trace seen-") + hook +
                           " { type filter hook " + hook + " priority 500; policy accept; }"));
}

TEST(TraceTableCommands, RepliesAreTracedByTheRequestsConntrackMark) {
  auto c = trace_table_commands({Protocol::tcp, 40000});
  for (auto hook : {"prerouting", "output"}) {
    EXPECT_TRUE(has(c, fmt::format("add chain inet podnet-trace mark-ct-{0} {{ type filter hook "
                                   "{0} priority -150; policy accept; }}",
                                   hook)))
        << c;
    EXPECT_TRUE(has(c, fmt::format("add rule inet podnet-trace mark-ct-{} ip dscp 7 ct direction "
                                   "original ct mark set ct mark | 0x00100000",
                                   hook)))
        << c;
  }
  EXPECT_TRUE(has(c,
                  "add rule inet podnet-trace mark-ct-prerouting ct direction reply ct mark & "
                  "0x00100000 == 0x00100000 tcp flags & (syn | rst) != 0 limit rate 1/hour burst 1 "
                  "packets meta nftrace set 1"))
      << c;
  EXPECT_TRUE(has(trace_table_commands({Protocol::udp, 5353}),
                  "mark-ct-output ct direction reply ct mark & 0x00100000 == 0x00100000 meta "
                  "nftrace set 1"));
}

TEST(TraceTableCommands, UdpAndIcmpMatchTheirOwnKeys) {
  auto u = trace_table_commands({Protocol::udp, 5353});
  EXPECT_TRUE(has(u, "udp sport 5353 meta nftrace set 1"));
  EXPECT_TRUE(has(u, "udp dport 5353 meta nftrace set 1"));
  auto i = trace_table_commands({Protocol::icmp, 99});
  EXPECT_TRUE(has(i, "icmp type { echo-request, echo-reply } icmp id 99 meta nftrace set 1"));
  EXPECT_TRUE(has(i, "@th,256,16 99"));  // the quoted echo's id
  EXPECT_FALSE(has(i, "tcp"));
}

TEST(RemoveTableCommands, WorkWhetherOrNotTheTableExists) {
  EXPECT_EQ(remove_table_commands(),
            "add table inet podnet-trace\ndelete table inet podnet-trace\n"
            "add table bridge podnet-trace\ndelete table bridge podnet-trace\n");
  EXPECT_EQ(delete_table_commands(),
            "delete table inet podnet-trace\ndelete table bridge podnet-trace\n");
}

constexpr const char* kListing = R"(table ip nat { # handle 4
	set seen { # handle 3
		type ipv4_addr
		elements = { 10.0.0.1,
			     10.0.0.2 }
	}

	chain pre { # handle 1
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 80 jump svc # handle 5
	}

	chain svc { # handle 2
		ip daddr 10.96.0.10 dnat to 10.0.1.3:8080 # handle 6
	}
}
table inet podnet-trace { # handle 9
	chain mark-prerouting { # handle 1
		type filter hook prerouting priority -350; policy accept;
		tcp sport 40000 tcp flags & (syn | ack) == syn meta nftrace set 1 # handle 4
	}
}
)";

TEST(ParseRuleset, RulesByHandleAndBaseChainHooks) {
  auto idx = parse_ruleset(kListing);
  ASSERT_NE(idx.rule_text("ip", "nat", "svc", 6), nullptr);
  EXPECT_EQ(*idx.rule_text("ip", "nat", "svc", 6), "ip daddr 10.96.0.10 dnat to 10.0.1.3:8080");
  EXPECT_EQ(*idx.rule_text("ip", "nat", "pre", 5), "tcp dport 80 jump svc");
  EXPECT_EQ(*idx.rule_text("inet", "podnet-trace", "mark-prerouting", 4),
            "tcp sport 40000 tcp flags & (syn | ack) == syn meta nftrace set 1");
  EXPECT_EQ(idx.rule_text("ip", "nat", "pre", 1), nullptr);  // the chain's own handle
  EXPECT_EQ(idx.hook_of("ip", "nat", "pre"), Hook::prerouting);
  EXPECT_EQ(idx.hook_of("ip", "nat", "svc"), Hook::unknown);
  EXPECT_EQ(idx.hook_of("inet", "podnet-trace", "mark-prerouting"), Hook::prerouting);
  EXPECT_EQ(idx.rules.size(), 3u);
}

}  // namespace
}  // namespace podnet::probe
