// The trace probe through real namespaces: a -- m -- b joined by veths, m routing between
// 10.77.1.0/24 (a) and 10.77.2.0/24 (b), a TCP listener on b. Each test breaks or bends the path
// in m (DNAT, a drop rule, a missing route) and reads the report; every namespace is removed in
// TearDown, also after a failure, and no podnet-trace table may remain in any of them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "podnet/probe/probe.hpp"
#include "podnet/sys/netns.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::probe {
namespace {

using podnet::testing::ScopedNetns;

template <typename F>
bool wait_until(F cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// A listening socket in a namespace; the kernel completes handshakes without accept().
UniqueFd listen_in(const std::string& ns_path, const std::string& addr, uint16_t port) {
  auto ns = sys::Netns::open(ns_path);
  if (!ns) return UniqueFd();
  auto fd = sys::run_in(*ns, [&]() -> int {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
    if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(s, 16) < 0) {
      close(s);
      return -1;
    }
    return s;
  });
  return UniqueFd(fd ? *fd : -1);
}

class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_root()) {
      if (std::getenv("CI")) FAIL() << "integration tests need root under CI";
      GTEST_SKIP() << "needs root";
    }
    prefix_ = testing::unique_prefix("prb");
    a_ = std::make_unique<ScopedNetns>(prefix_ + "a");
    m_ = std::make_unique<ScopedNetns>(prefix_ + "m");
    b_ = std::make_unique<ScopedNetns>(prefix_ + "b");
    auto ip = [&](const std::string& cmd) {
      std::string out;
      ASSERT_EQ(testing::sh("ip " + cmd, &out), 0) << cmd << ": " << out;
    };
    ip(fmt::format("link add pa0 netns {} type veth peer name pm0 netns {}", a_->name(),
                   m_->name()));
    ip(fmt::format("link add pm1 netns {} type veth peer name pb0 netns {}", m_->name(),
                   b_->name()));
    ip(fmt::format("-n {} addr add 10.77.1.2/24 dev pa0", a_->name()));
    ip(fmt::format("-n {} link set pa0 up", a_->name()));
    ip(fmt::format("-n {} route add default via 10.77.1.1", a_->name()));
    ip(fmt::format("-n {} addr add 10.77.1.1/24 dev pm0", m_->name()));
    ip(fmt::format("-n {} addr add 10.77.2.1/24 dev pm1", m_->name()));
    ip(fmt::format("-n {} link set pm0 up", m_->name()));
    ip(fmt::format("-n {} link set pm1 up", m_->name()));
    ip(fmt::format("-n {} addr add 10.77.2.2/24 dev pb0", b_->name()));
    ip(fmt::format("-n {} link set pb0 up", b_->name()));
    ip(fmt::format("-n {} route add default via 10.77.2.1", b_->name()));
    ASSERT_EQ(m_->sh("sysctl -qw net.ipv4.ip_forward=1"), 0);
    listener_ = listen_in(b_->path(), "10.77.2.2", 8080);
    ASSERT_TRUE(listener_.valid());
  }

  void TearDown() override {
    for (auto* ns : {a_.get(), m_.get(), b_.get()}) {
      if (!ns) continue;
      std::string out;
      ns->sh("nft list tables", &out);
      EXPECT_EQ(out.find("podnet-trace"), std::string::npos)
          << "trace table left in " << ns->name();
    }
    listener_.reset();
    b_.reset();
    m_.reset();
    a_.reset();
  }

  ProbeSpec spec(const std::string& dst, uint16_t port, Protocol proto = Protocol::tcp) {
    ProbeSpec s;
    s.source = {"a", a_->path()};
    s.destination = dst;
    s.port = port;
    s.protocol = proto;
    s.namespaces = {{"a", a_->path()}, {"m", m_->path()}, {"b", b_->path()}};
    s.timeout = std::chrono::seconds(3);
    return s;
  }

  void nft_in(ScopedNetns& ns, const std::string& commands) {
    std::string out;
    ASSERT_EQ(ns.sh("nft -f - <<EOF\n" + commands + "\nEOF", &out), 0) << commands << ": " << out;
  }

  static const TraceEvent* find(const ProbeReport& r, const std::string& ns, Hook hook,
                                Direction d = Direction::request) {
    for (const auto& e : r.events)
      if (e.ns == ns && e.hook == hook && e.direction == d) return &e;
    return nullptr;
  }

  std::string prefix_;
  std::unique_ptr<ScopedNetns> a_, m_, b_;
  UniqueFd listener_;
};

TEST_F(ProbeTest, OneVethDelivered) {
  // a -> m's own address: two namespaces, one veth.
  auto srv = listen_in(m_->path(), "10.77.1.1", 9090);
  ASSERT_TRUE(srv.valid());
  auto s = spec("10.77.1.1", 9090);
  s.namespaces = {{"a", a_->path()}, {"m", m_->path()}};
  auto r = run_probe(s);
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_TRUE(r->verdict.answered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::syn_ack);
  EXPECT_EQ(r->verdict.where_ns, "m");
  ASSERT_NE(find(*r, "a", Hook::output), nullptr);
  const auto* in = find(*r, "m", Hook::input);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->iif, "pm0");
  EXPECT_EQ(in->packet.src, "10.77.1.2");
  EXPECT_EQ(in->packet.dport, 9090);
  EXPECT_NE(find(*r, "a", Hook::input, Direction::reply), nullptr);  // the SYN-ACK came back
}

TEST_F(ProbeTest, DeliveredThroughARouter) {
  auto r = run_probe(spec("10.77.2.2", 8080));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::syn_ack);
  EXPECT_EQ(r->verdict.where_ns, "b");
  // In the order it happened: the SYN through a, m and b, the SYN-ACK back through m to a.
  std::vector<std::string> crossings;
  for (const auto& e : r->events)
    if (crossings.empty() || crossings.back() != e.ns) crossings.push_back(e.ns);
  EXPECT_EQ(crossings, (std::vector<std::string>{"a", "m", "b", "m", "a"}));
  const auto* fwd = find(*r, "m", Hook::forward);
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->iif, "pm0");
  EXPECT_EQ(fwd->oif, "pm1");
  // The rule that switched tracing on is shown with its text.
  const auto* mark = find(*r, "m", Hook::prerouting);
  ASSERT_NE(mark, nullptr);
  EXPECT_NE(mark->rule_text.find("meta nftrace set 1"), std::string::npos);
}

TEST_F(ProbeTest, DnatInTheMiddleIsSeen) {
  ASSERT_NO_FATAL_FAILURE(
      nft_in(*m_,
             "table ip prbnat {\n chain pre {\n  type nat hook prerouting priority dstnat;\n"
             "  tcp dport 80 ip daddr 10.77.9.9 dnat to 10.77.2.2:8080\n }\n}"));
  auto r = run_probe(spec("10.77.9.9", 80));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::syn_ack);
  const TraceEvent* dnat = nullptr;
  for (const auto& e : r->events)
    if (e.ns == "m" && e.table == "prbnat") dnat = &e;
  ASSERT_NE(dnat, nullptr);
  EXPECT_EQ(dnat->hook, Hook::prerouting);
  EXPECT_NE(dnat->rule_text.find("dnat to 10.77.2.2:8080"), std::string::npos);
  EXPECT_EQ(dnat->packet.dst, "10.77.9.9");  // before the rewrite
  const auto* fwd = find(*r, "m", Hook::forward);
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->packet.dst, "10.77.2.2");  // after it
  EXPECT_EQ(fwd->packet.dport, 8080);
}

TEST_F(ProbeTest, DropRuleInTheMiddleIsNamed) {
  ASSERT_NO_FATAL_FAILURE(nft_in(
      *m_,
      "table inet prbfilter {\n chain filter_forward {\n  type filter hook forward priority 0;\n"
      "  tcp dport 8080 drop\n }\n}"));
  auto r = run_probe(spec("10.77.2.2", 8080));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_FALSE(r->verdict.delivered);
  ASSERT_TRUE(r->verdict.dropped_by);
  EXPECT_EQ(r->verdict.where_ns, "m");
  EXPECT_EQ(r->verdict.where_hook, Hook::forward);
  EXPECT_EQ(r->verdict.dropped_by->table, "prbfilter");
  EXPECT_EQ(r->verdict.dropped_by->rule_text, "tcp dport 8080 drop");
  EXPECT_EQ(find(*r, "b", Hook::prerouting), nullptr);
}

TEST_F(ProbeTest, MissingRouteIsNotDelivered) {
  auto r = run_probe(spec("10.77.3.3", 8080));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_FALSE(r->verdict.delivered);
  EXPECT_FALSE(r->verdict.dropped_by);
  EXPECT_EQ(r->verdict.where_ns, "m");
  EXPECT_EQ(r->verdict.where_hook, Hook::prerouting);
  EXPECT_EQ(r->answer.kind, Answer::Kind::icmp_error);
  EXPECT_EQ(r->answer.from, "10.77.1.1");
}

TEST_F(ProbeTest, Ipv6DeliveredAndMissingRoute) {
  auto ip = [&](const std::string& cmd) {
    std::string out;
    ASSERT_EQ(testing::sh("ip " + cmd, &out), 0) << cmd << ": " << out;
  };
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} addr add fd77:1::2/64 dev pa0 nodad", a_->name())));
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} -6 route add default via fd77:1::1", a_->name())));
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} addr add fd77:1::1/64 dev pm0 nodad", m_->name())));
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} addr add fd77:2::1/64 dev pm1 nodad", m_->name())));
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} addr add fd77:2::2/64 dev pb0 nodad", b_->name())));
  ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} -6 route add default via fd77:2::1", b_->name())));
  ASSERT_EQ(m_->sh("sysctl -qw net.ipv6.conf.all.forwarding=1"), 0);
  auto ns = sys::Netns::open(b_->path());
  ASSERT_TRUE(ns);
  auto fd = sys::run_in(*ns, []() -> int {
    int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(8080);
    inet_pton(AF_INET6, "fd77:2::2", &sa.sin6_addr);
    if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(s, 4) < 0) return -1;
    return s;
  });
  ASSERT_TRUE(fd && *fd >= 0);
  UniqueFd srv(*fd);

  auto r = run_probe(spec("fd77:2::2", 8080));
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::syn_ack);
  EXPECT_EQ(r->verdict.where_ns, "b");
  const auto* fwd = find(*r, "m", Hook::forward);
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->packet.src, "fd77:1::2");

  auto lost = run_probe(spec("fd77:3::3", 8080));
  ASSERT_TRUE(lost) << lost.error().message;
  SCOPED_TRACE(format_report(*lost));
  EXPECT_FALSE(lost->verdict.delivered);
  EXPECT_EQ(lost->verdict.where_ns, "m");
  EXPECT_EQ(lost->answer.kind, Answer::Kind::icmp_error);
  EXPECT_NE(find(*lost, "a", Hook::prerouting, Direction::icmp_error), nullptr);
}

TEST_F(ProbeTest, NoRouteAtTheSource) {
  std::string out;
  ASSERT_EQ(a_->sh("ip route del default", &out), 0) << out;
  auto r = run_probe(spec("10.77.2.2", 8080));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->verdict.delivered);
  EXPECT_EQ(r->answer.kind, Answer::Kind::local_error);
}

TEST_F(ProbeTest, UdpPortUnreachableAndIcmpEcho) {
  auto u = run_probe(spec("10.77.2.2", 5353, Protocol::udp));
  ASSERT_TRUE(u) << u.error().message;
  SCOPED_TRACE(format_report(*u));
  EXPECT_TRUE(u->verdict.delivered);
  EXPECT_EQ(u->answer.kind, Answer::Kind::icmp_error);
  EXPECT_EQ(u->answer.detail, "port unreachable");
  EXPECT_NE(find(*u, "m", Hook::forward, Direction::icmp_error), nullptr);

  auto i = run_probe(spec("10.77.2.2", 0, Protocol::icmp));
  ASSERT_TRUE(i) << i.error().message;
  SCOPED_TRACE(format_report(*i));
  EXPECT_TRUE(i->verdict.delivered);
  EXPECT_EQ(i->answer.kind, Answer::Kind::echo_reply);
  EXPECT_NE(find(*i, "b", Hook::input), nullptr);
}

TEST_F(ProbeTest, StaleTableOfACrashedRunIsReplaced) {
  ASSERT_NO_FATAL_FAILURE(
      nft_in(*m_,
             "table inet podnet-trace {\n chain junk {\n  type filter hook forward priority 0;\n"
             "  drop\n }\n}"));
  auto r = run_probe(spec("10.77.2.2", 8080));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->verdict.delivered) << format_report(*r);
}

TEST_F(ProbeTest, InterruptedProbeLeavesNoTable) {
  // The SYN goes into a blackhole route in m: no answer, no drop verdict, so the probe waits.
  std::string out;
  ASSERT_EQ(m_->sh("ip route add blackhole 10.77.5.0/24", &out), 0) << out;
  auto s = spec("10.77.5.5", 8080);
  s.timeout = std::chrono::seconds(60);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = run_probe(s);
    _exit(r ? 0 : 3);
  }
  auto tables_in = [&](ScopedNetns& ns) {
    std::string out;
    ns.sh("nft list tables", &out);
    return out.find("podnet-trace") != std::string::npos;
  };
  bool all = wait_until([&] { return tables_in(*a_) && tables_in(*m_) && tables_in(*b_); });
  ASSERT_TRUE(all) << "the probe never put its tables in place";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "status " << status;
  // TearDown checks no table remains in any namespace.
}

TEST_F(ProbeTest, RemoveStaleTraceTable) {
  ASSERT_NO_FATAL_FAILURE(nft_in(*b_, "table inet podnet-trace {\n}"));
  ASSERT_TRUE(remove_stale_trace_table(b_->path()));
  ASSERT_TRUE(remove_stale_trace_table(b_->path()));  // none: still fine
}

// A node with bridge br0 (10.78.0.1/24) and two pods on it (10.78.0.2, 10.78.0.3, the second
// listening on 8080), as podnetd's bridge mode wires them.
class ProbeBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_root()) {
      if (std::getenv("CI")) FAIL() << "integration tests need root under CI";
      GTEST_SKIP() << "needs root";
    }
    auto prefix = testing::unique_prefix("prb");
    node_ = std::make_unique<ScopedNetns>(prefix + "n");
    p1_ = std::make_unique<ScopedNetns>(prefix + "p1");
    p2_ = std::make_unique<ScopedNetns>(prefix + "p2");
    ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} link add br0 type bridge", node_->name())));
    ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} addr add 10.78.0.1/24 dev br0", node_->name())));
    ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} link set br0 up", node_->name())));
    int i = 2;
    for (auto* pod : {p1_.get(), p2_.get()}) {
      std::string host = fmt::format("vh{}", i);
      ASSERT_NO_FATAL_FAILURE(
          ip(fmt::format("link add {} netns {} type veth peer name eth0 netns {}", host,
                         node_->name(), pod->name())));
      ASSERT_NO_FATAL_FAILURE(
          ip(fmt::format("-n {} link set {} master br0 up", node_->name(), host)));
      ASSERT_NO_FATAL_FAILURE(
          ip(fmt::format("-n {} addr add 10.78.0.{}/24 dev eth0", pod->name(), i)));
      ASSERT_NO_FATAL_FAILURE(ip(fmt::format("-n {} link set eth0 up", pod->name())));
      ++i;
    }
    srv_ = listen_in(p2_->path(), "10.78.0.3", 8080);
    ASSERT_TRUE(srv_.valid());
  }
  void TearDown() override {
    for (auto* ns : {&node_, &p1_, &p2_}) {
      if (!*ns) continue;
      std::string out;
      (*ns)->sh("nft list tables", &out);
      EXPECT_EQ(out.find("podnet-trace"), std::string::npos) << (*ns)->name();
    }
  }
  void ip(const std::string& cmd) {
    std::string out;
    ASSERT_EQ(testing::sh("ip " + cmd, &out), 0) << cmd << ": " << out;
  }
  // br_netfilter's switch for this node: the namespace's sysctl (the bridge's own is off).
  void bridge_netfilter(bool on) {
    std::string out;
    ASSERT_EQ(node_->sh(fmt::format("sysctl -qw net.bridge.bridge-nf-call-iptables={}", on ? 1 : 0),
                        &out),
              0)
        << out;
  }
  Result<ProbeReport> probe(const std::string& from_label, const std::string& from) {
    ProbeSpec s;
    s.source = {from_label, from};
    s.destination = "10.78.0.3";
    s.port = 8080;
    s.namespaces = {{"pod1", p1_->path()}, {"node", node_->path()}, {"pod2", p2_->path()}};
    return run_probe(s);
  }
  // A request event in namespace `ns`, of the bridge family or (bridged false) any other.
  static bool has_event(const ProbeReport& r, std::string_view ns, bool bridged, Hook hook,
                        std::string_view iif, std::string_view oif) {
    for (const auto& e : r.events)
      if (e.ns == ns && (e.family == "bridge") == bridged && e.hook == hook && e.iif == iif &&
          e.oif == oif && e.direction == Direction::request)
        return true;
    return false;
  }

  std::unique_ptr<ScopedNetns> node_, p1_, p2_;
  UniqueFd srv_;
};

// Pod to pod on one node: the node's bridge switches the frame. The bridge-family table sees it
// whether br_netfilter passes it through the node's ip hooks or not.
TEST_F(ProbeBridgeTest, BridgedHopIsSeenWithAndWithoutBrNetfilter) {
  for (bool netfilter : {false, true}) {
    SCOPED_TRACE(netfilter ? "br_netfilter on" : "br_netfilter off");
    ASSERT_NO_FATAL_FAILURE(bridge_netfilter(netfilter));
    auto r = probe("pod1", p1_->path());
    ASSERT_TRUE(r) << r.error().message;
    SCOPED_TRACE(format_report(*r));
    EXPECT_TRUE(r->verdict.delivered);
    EXPECT_EQ(r->verdict.where_ns, "pod2");
    EXPECT_TRUE(has_event(*r, "node", true, Hook::forward, "vh2", "vh3"));
    // The ip hooks of the node see the switched frame only through br_netfilter (the bridge
    // device is both its input and output there).
    EXPECT_EQ(has_event(*r, "node", false, Hook::forward, "br0", "br0"), netfilter);
  }
}

// The node to a pod: routed onto the bridge device, then sent out of the pod's port.
TEST_F(ProbeBridgeTest, NodeToPodShowsThePortTheBridgeChose) {
  auto r = probe("node", node_->path());
  ASSERT_TRUE(r) << r.error().message;
  SCOPED_TRACE(format_report(*r));
  EXPECT_TRUE(r->verdict.delivered);
  EXPECT_EQ(r->verdict.where_ns, "pod2");
  EXPECT_TRUE(has_event(*r, "node", true, Hook::output, "", "vh3"));
}

}  // namespace
}  // namespace podnet::probe
