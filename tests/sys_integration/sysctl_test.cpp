#include "podnet/sys/sysctl.hpp"

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

class Sysctl : public NetnsTest {};

TEST_F(Sysctl, AppliesToTheNamespaceOfTheThread) {
  std::string a = make_ns();
  Netns ns = VALUE_OR_FAIL(open_ns(a));
  std::string root_before = VALUE_OR_FAIL(read_sysctl("net/ipv4/ip_forward"));  // read only

  EXPECT_EQ(VALUE_OR_FAIL(run_in(ns, [] { return read_sysctl("net/ipv4/ip_forward"); })), "0");
  ASSERT_OK(run_in(ns, [] { return write_sysctl("net/ipv4/ip_forward", "1"); }));
  EXPECT_EQ(VALUE_OR_FAIL(run_in(ns, [] { return read_sysctl("net/ipv4/ip_forward"); })), "1");
  EXPECT_NE(sh("ip netns exec " + a + " sysctl -n net.ipv4.ip_forward").find('1'),
            std::string::npos);
  EXPECT_EQ(VALUE_OR_FAIL(read_sysctl("net/ipv4/ip_forward")), root_before);

  // Per-interface keys of links that only exist in the namespace.
  Netlink nl = VALUE_OR_FAIL(Netlink::open_in(ns));
  ASSERT_TRUE(nl.create_veth({.host_name = "pnv0", .peer_name = "pnv1"}));
  ASSERT_OK(run_in(ns, [] { return write_sysctl("net/ipv4/conf/pnv0/proxy_arp", "1"); }));
  EXPECT_EQ(VALUE_OR_FAIL(run_in(ns, [] { return read_sysctl("net/ipv4/conf/pnv0/proxy_arp"); })),
            "1");
  EXPECT_FALSE(read_sysctl("net/ipv4/conf/pnv0/proxy_arp"));  // not visible from the root
}

TEST_F(Sysctl, ForwardingOverNetconfMatchesProcSys) {
  std::string a = make_ns();
  Netns ns = VALUE_OR_FAIL(open_ns(a));
  Netlink nl = VALUE_OR_FAIL(Netlink::open_in(ns));
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v4)), 0);
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v6)), 0);
  ASSERT_OK(run_in(ns, [] { return write_sysctl("net/ipv4/ip_forward", "1"); }));
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v4)), 1);
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v6)), 0);
  ASSERT_OK(run_in(ns, [] { return write_sysctl("net/ipv6/conf/all/forwarding", "1"); }));
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v6)), 1);
  // The reply and its ACK are both consumed: the next requests on the socket still line up.
  EXPECT_EQ(VALUE_OR_FAIL(nl.link_info("lo")).index, 1);
  EXPECT_EQ(VALUE_OR_FAIL(nl.forwarding(net::Family::v4)), 1);
  ASSERT_OK(nl.set_up(1));
}

TEST_F(Sysctl, Errors) {
  auto missing = read_sysctl("net/ipv4/no_such_key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  EXPECT_NE(missing.error().message.find("net/ipv4/no_such_key"), std::string::npos);
  auto bad = write_sysctl("../etc/passwd", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sys_errno, EINVAL);
  Netns ns = VALUE_OR_FAIL(open_ns(make_ns()));
  auto inval = run_in(ns, [] { return write_sysctl("net/ipv4/ip_forward", "notanumber"); });
  ASSERT_FALSE(inval);
  EXPECT_EQ(inval.error().sys_errno, EINVAL) << inval.error().message;
}

}  // namespace
}  // namespace podnet::sys::test
