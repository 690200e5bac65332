#include <gtest/gtest.h>

#include "helpers.hpp"
#include "podnet/proxy/conntrack_plan.hpp"

namespace podnet::proxy {
namespace {
using namespace test;

TEST(ProxyConntrack, GoneUdpEndpoint) {
  auto old =
      web({{ip("192.168.0.2"), 53, false}, {ip("192.168.0.3"), 53, false}}, 30053, Protocol::udp);
  auto now = old;
  now.ports[0].endpoints.pop_back();
  auto f = conntrack_cleanup(&old, &now);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0],
            (ConntrackFilter{Protocol::udp, ip("10.96.0.10"), 80, ip("192.168.0.3"), 53, false}));
  EXPECT_EQ(f[1],
            (ConntrackFilter{Protocol::udp, std::nullopt, 30053, ip("192.168.0.3"), 53, false}));
}

TEST(ProxyConntrack, ExternalIpsAreCleanedLikeTheClusterIp) {
  auto old = web({{ip("192.168.0.2"), 53, false}, {ip("192.168.0.3"), 53, false}}, 0, Protocol::udp);
  old.external_ips = {ip("203.0.113.10")};
  auto now = old;
  now.ports[0].endpoints.pop_back();
  auto f = conntrack_cleanup(&old, &now);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1],
            (ConntrackFilter{Protocol::udp, ip("203.0.113.10"), 80, ip("192.168.0.3"), 53, false}));
  // An external IP dropped from the service: its flows go, whatever endpoint they reached.
  now = old;
  now.external_ips.clear();
  f = conntrack_cleanup(&old, &now);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], (ConntrackFilter{Protocol::udp, ip("203.0.113.10"), 80, std::nullopt, 0, false}));
  // A first endpoint clears cached rejects on the external IP too.
  auto empty = old;
  empty.ports[0].endpoints.clear();
  f = conntrack_cleanup(&empty, &old);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1], (ConntrackFilter{Protocol::udp, ip("203.0.113.10"), 80, std::nullopt, 0, true}));
}

TEST(ProxyConntrack, TcpNeedsNothing) {
  auto old = web({{ip("192.168.0.2"), 80, false}});
  EXPECT_TRUE(conntrack_cleanup(&old, nullptr).empty());
}

TEST(ProxyConntrack, FirstEndpointClearsCachedRejects) {
  auto old = web({}, 0, Protocol::udp);
  auto now = web({{ip("192.168.0.2"), 53, false}}, 0, Protocol::udp);
  auto f = conntrack_cleanup(&old, &now);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].only_not_dnat);
  EXPECT_FALSE(f[0].reply_src);
  EXPECT_EQ(conntrack_cleanup(nullptr, &now).size(), 1u);  // new service too
  EXPECT_TRUE(conntrack_cleanup(&now, &now).empty());
}

TEST(ProxyConntrack, DeletedServiceClearsItsEndpoints) {
  auto old = web({{ip("192.168.0.2"), 53, false}}, 0, Protocol::udp);
  EXPECT_EQ(conntrack_cleanup(&old, nullptr).size(), 1u);
}

TEST(ProxyConntrack, Matching) {
  ConntrackFilter f{Protocol::udp, ip("10.96.0.10"), 80, ip("192.168.0.3"), 53, false};
  ConntrackFlow flow{Protocol::udp, ip("192.168.0.9"), ip("10.96.0.10"), ip("192.168.0.3"), 80, 53,
                     true};
  EXPECT_TRUE(matches(f, flow));
  flow.reply_src = ip("192.168.0.2");
  EXPECT_FALSE(matches(f, flow));
  ConntrackFilter rej{Protocol::udp, ip("10.96.0.10"), 80, std::nullopt, 0, true};
  EXPECT_FALSE(matches(rej, flow));  // translated: not a cached reject
  flow.dnat = false;
  EXPECT_TRUE(matches(rej, flow));
  flow.protocol = Protocol::tcp;
  EXPECT_FALSE(matches(rej, flow));
}

}  // namespace
}  // namespace podnet::proxy
