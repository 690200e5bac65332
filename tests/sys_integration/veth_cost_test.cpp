// Not a pass/fail benchmark: prints what the CNI ADD's kernel work costs, so regressions against
// the 2 ms ADD budget are visible in test logs.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

using Clock = std::chrono::steady_clock;

double us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct Stats {
  std::vector<double> v;
  void add(double x) { v.push_back(x); }
  std::string str() {
    std::sort(v.begin(), v.end());
    return fmt::format("median {:7.1f} us  min {:7.1f}  max {:7.1f}", v[v.size() / 2], v.front(),
                       v.back());
  }
};

class VethCost : public NetnsTest {};

TEST_F(VethCost, PrintsCniAddSequenceCost) {
  constexpr int kPods = 15;
  std::string host = make_ns();
  std::vector<std::string> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back(make_ns());
  Netlink hnl = VALUE_OR_FAIL(nl_in(host));
  ASSERT_TRUE(hnl.ensure_bridge("pnbr0", 1450));

  Stats total, open_ns_s, bridge_s, veth_s, open_in_s, up_s, addr_s, route_s;
  for (int i = 0; i < kPods; ++i) {
    auto t0 = Clock::now();
    Netns ns = VALUE_OR_FAIL(open_ns(pods[i]));
    auto t1 = Clock::now();
    int br = VALUE_OR_FAIL(hnl.ensure_bridge("pnbr0", 1450));
    auto t2 = Clock::now();
    LinkInfo h = VALUE_OR_FAIL(hnl.create_veth({.host_name = fmt::format("pnv{}", i),
                                                .peer_name = "eth0",
                                                .peer_netns_fd = ns.fd(),
                                                .mtu = 1450,
                                                .peer_mac = Mac::from_seed(pods[i]),
                                                .master = br}));
    auto t3 = Clock::now();
    Netlink pnl = VALUE_OR_FAIL(Netlink::open_in(ns));
    auto t4 = Clock::now();
    ASSERT_OK(pnl.set_up(h.link));
    auto t5 = Clock::now();
    ASSERT_OK(pnl.add_address(h.link, *net::Prefix::parse(fmt::format("10.244.1.{}/24", i + 2))));
    auto t6 = Clock::now();
    ASSERT_OK(pnl.add_route({.dst = *net::Prefix::parse("0.0.0.0/0"),
                             .gw = net::IpAddress::parse("10.244.1.1"),
                             .ifindex = h.link}));
    auto t7 = Clock::now();
    open_ns_s.add(us(t1 - t0));
    bridge_s.add(us(t2 - t1));
    veth_s.add(us(t3 - t2));
    open_in_s.add(us(t4 - t3));
    up_s.add(us(t5 - t4));
    addr_s.add(us(t6 - t5));
    route_s.add(us(t7 - t6));
    total.add(us(t7 - t0));
  }
  std::printf(
      "CNI ADD kernel sequence, %d pods (veth on bridge, eth0 up, addr, default route):\n"
      "  total          %s\n  open netns     %s\n  ensure_bridge  %s\n  create_veth    %s\n"
      "  open_in        %s\n  set_up eth0    %s\n  add_address    %s\n  add_route      %s\n",
      kPods, total.str().c_str(), open_ns_s.str().c_str(), bridge_s.str().c_str(),
      veth_s.str().c_str(), open_in_s.str().c_str(), up_s.str().c_str(), addr_s.str().c_str(),
      route_s.str().c_str());
}

}  // namespace
}  // namespace podnet::sys::test
