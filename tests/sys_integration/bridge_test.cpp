// Bridges as the trace reads them: ports with their STP state and flags, the bridge's FDB by
// master, and the bridge's own settings (netfilter on switched frames, set at creation).
#include <linux/if_bridge.h>
#include <linux/neighbour.h>

#include <algorithm>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class Bridges : public HostPodTest {
 protected:
  // A veth pair, host side enslaved to `master`, both ends up (the host end's info, or an error).
  Result<LinkInfo> port(const std::string& name, const std::string& peer, int master) {
    auto host = hnl_->create_veth(VethSpec{
        .host_name = name, .peer_name = peer, .peer_netns_fd = pod_ns_->fd(), .master = master});
    if (!host) return host;
    if (auto up = pnl_->set_up(host->link); !up) return std::unexpected(up.error());
    return host;
  }
};

TEST_F(Bridges, CreatedWithNetfilterOnSwitchedFrames) {
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1500));
  BridgeSettings s = VALUE_OR_FAIL(hnl_->bridge_settings(br));
  EXPECT_EQ(s.stp_state, 0u);
  EXPECT_TRUE(s.nf_call_iptables);
  std::string details = ip(host_, "-d link show pnbr0");
  EXPECT_TRUE(contains(details, "nf_call_iptables 1")) << details;
  EXPECT_TRUE(contains(details, "nf_call_ip6tables 1")) << details;
  // Read back as the kernel has it, not as it was created.
  ip(host_, "link set pnbr0 type bridge nf_call_iptables 0");
  EXPECT_FALSE(VALUE_OR_FAIL(hnl_->bridge_settings(br)).nf_call_iptables);
}

TEST_F(Bridges, SettingsOfNoBridge) {
  LinkInfo v = VALUE_OR_FAIL(hnl_->create_veth(
      VethSpec{.host_name = "pnv0", .peer_name = "eth0", .peer_netns_fd = pod_ns_->fd()}));
  auto r = hnl_->bridge_settings(v.index);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EINVAL);
  auto gone = hnl_->bridge_settings(4242);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().sys_errno, ENODEV);
}

TEST_F(Bridges, PortsWithStateAndFlags) {
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1500));
  LinkInfo a = VALUE_OR_FAIL(port("pnva", "etha", br));
  LinkInfo b = VALUE_OR_FAIL(port("pnvb", "ethb", br));
  ASSERT_OK(hnl_->set_hairpin(a.index, true));
  ASSERT_OK(hnl_->set_up(b.index, false));
  // A veth outside any bridge is no port.
  VALUE_OR_FAIL(hnl_->create_veth(
      VethSpec{.host_name = "pnvc", .peer_name = "ethc", .peer_netns_fd = pod_ns_->fd()}));
  auto ports = VALUE_OR_FAIL(hnl_->list_bridge_ports());
  ASSERT_EQ(ports.size(), 2u);
  std::sort(ports.begin(), ports.end(), [](auto& x, auto& y) { return x.ifindex < y.ifindex; });
  EXPECT_EQ(ports[0].ifindex, a.index);
  EXPECT_EQ(ports[0].master, br);
  EXPECT_EQ(ports[0].state, BR_STATE_FORWARDING);  // STP off: forwarding once it has a carrier
  EXPECT_TRUE(ports[0].hairpin);
  EXPECT_TRUE(ports[0].learning);
  EXPECT_EQ(ports[1].ifindex, b.index);
  EXPECT_EQ(ports[1].state, BR_STATE_DISABLED);  // set down
  EXPECT_FALSE(ports[1].hairpin);
  // Released from the bridge: no longer listed.
  ASSERT_OK(hnl_->set_master(a.index, 0));
  ports = VALUE_OR_FAIL(hnl_->list_bridge_ports());
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].ifindex, b.index);
}

TEST_F(Bridges, FdbOfOneBridge) {
  Mac own = Mac::from_seed("pnbr0");
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1500, own));
  int other = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr1", 1500));
  LinkInfo a = VALUE_OR_FAIL(port("pnva", "etha", br));
  LinkInfo c = VALUE_OR_FAIL(port("pnvc", "ethc", other));
  ip(host_, "link set pnbr0 up");
  // A static entry, as `bridge fdb add ... master static` makes.
  Mac learned = Mac::from_seed("pod-b/eth0");
  std::string out =
      sh(fmt::format("bridge -n {} fdb add {} dev pnva master static 2>&1", host_, learned.str()));
  ASSERT_TRUE(out.empty()) << out;
  auto fdb = VALUE_OR_FAIL(hnl_->list_bridge_fdb(br));
  auto find = [&](const std::string& mac) {
    return std::find_if(fdb.begin(), fdb.end(),
                        [&](const FdbEntry& e) { return e.mac.str() == mac; });
  };
  auto s = find(learned.str());
  ASSERT_NE(s, fdb.end()) << sh("bridge -n " + host_ + " fdb show");
  EXPECT_EQ(s->ifindex, a.index);
  EXPECT_EQ(s->master, br);
  EXPECT_EQ(s->state, NUD_NOARP);  // static
  auto local = find(a.mac);        // the port's own address: local, permanent
  ASSERT_NE(local, fdb.end());
  EXPECT_EQ(local->ifindex, a.index);
  EXPECT_EQ(local->state, NUD_PERMANENT);
  auto self = find(own.str());  // the bridge's own address, on the bridge device
  ASSERT_NE(self, fdb.end());
  EXPECT_EQ(self->ifindex, br);
  for (const auto& e : fdb) {
    EXPECT_EQ(e.master, br);
    EXPECT_FALSE(e.flags & NTF_SELF) << e.mac.str();  // the ports' own lists are not the FDB
    EXPECT_NE(e.ifindex, c.index) << "an entry of the other bridge";
  }
}

}  // namespace
}  // namespace podnet::sys::test
