#include <algorithm>

#include "fixture.hpp"

namespace podnet::sys::test {
namespace {

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class Links : public HostPodTest {
 protected:
  VethSpec veth(std::string host_name = "pnv0") {
    return VethSpec{.host_name = std::move(host_name),
                    .peer_name = "eth0",
                    .peer_netns_fd = pod_ns_->fd(),
                    .mtu = 1400};
  }
};

TEST_F(Links, CreateVethAcrossNamespaces) {
  Mac peer_mac = Mac::from_seed("pod-1/eth0");
  VethSpec spec = veth();
  spec.peer_mac = peer_mac;
  LinkInfo host = VALUE_OR_FAIL(hnl_->create_veth(spec));
  EXPECT_GT(host.index, 1);
  EXPECT_EQ(host.name, "pnv0");
  EXPECT_EQ(host.kind, "veth");
  EXPECT_EQ(host.mtu, 1400u);
  EXPECT_TRUE(host.up);
  EXPECT_TRUE(host.link_netnsid.has_value());
  ASSERT_OK(pnl_->set_up(host.link));  // the peer is brought up from its own namespace

  LinkInfo eth0 = VALUE_OR_FAIL(pnl_->link_info("eth0"));
  EXPECT_EQ(eth0.index, host.link);  // the host side names its peer's ifindex
  EXPECT_EQ(eth0.link, host.index);
  EXPECT_EQ(eth0.mac, peer_mac.str());
  EXPECT_EQ(eth0.mtu, 1400u);
  EXPECT_TRUE(eth0.up);
  EXPECT_EQ(eth0.kind, "veth");
  EXPECT_EQ(VALUE_OR_FAIL(pnl_->link_info(eth0.index)).name, "eth0");
  EXPECT_EQ(VALUE_OR_FAIL(pnl_->link_index("eth0")), eth0.index);
  // Both ends up: carrier comes up (asynchronously, so not asserted here).
  EXPECT_TRUE(contains(ip(pod_, "link show eth0"), "eth0@if"));

  // Nothing was made in the wrong namespace.
  auto in_host = hnl_->link_index("eth0");
  ASSERT_FALSE(in_host);
  EXPECT_EQ(in_host.error().sys_errno, ENODEV);
  EXPECT_FALSE(contains(ip(pod_, "link"), "pnv0"));
}

TEST_F(Links, CreateVethExistingNamesAreEexist) {
  ASSERT_TRUE(hnl_->create_veth(veth()));
  auto again = hnl_->create_veth(veth());  // host name taken
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().sys_errno, EEXIST);
  EXPECT_TRUE(contains(again.error().message, "create veth pnv0/eth0: File exists"))
      << again.error().message;
  auto peer_taken = hnl_->create_veth(veth("pnv1"));  // eth0 taken in the pod namespace
  ASSERT_FALSE(peer_taken);
  EXPECT_EQ(peer_taken.error().sys_errno, EEXIST) << peer_taken.error().message;
  EXPECT_FALSE(hnl_->link_index("pnv1"));  // the failed request left nothing behind
}

TEST_F(Links, RejectsNamesTheKernelWouldTruncate) {
  auto r = hnl_->create_veth(veth("pn0123456789abcd"));  // 16 chars: IFNAMSIZ is 16 with the NUL
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EINVAL);
  EXPECT_FALSE(hnl_->link_index("pn0123456789abc"));  // nothing under the truncated name either
  auto lookup = hnl_->link_info("lo-and-a-long-suffix");
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().sys_errno, EINVAL);
  for (const char* bad : {"", "a/b", "a b", "..", "a:b"})
    EXPECT_FALSE(hnl_->ensure_bridge(bad, 1500)) << bad;
  EXPECT_TRUE(hnl_->create_veth(veth("pn0123456789abc")));  // 15 chars is fine
}

TEST_F(Links, LinkInfoMissingIsEnodev) {
  auto byname = hnl_->link_info("pnnope0");
  ASSERT_FALSE(byname);
  EXPECT_EQ(byname.error().sys_errno, ENODEV);
  EXPECT_TRUE(contains(byname.error().message, "pnnope0")) << byname.error().message;
  auto byindex = hnl_->link_info(4242);
  ASSERT_FALSE(byindex);
  EXPECT_EQ(byindex.error().sys_errno, ENODEV);
}

TEST_F(Links, EnsureBridgeIsIdempotentAndNoStp) {
  Mac mac = Mac::from_seed("pnbr0");
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1450, mac));
  EXPECT_EQ(VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1450, mac)), br);
  LinkInfo info = VALUE_OR_FAIL(hnl_->link_info(br));
  EXPECT_EQ(info.kind, "bridge");
  EXPECT_TRUE(info.up);
  EXPECT_EQ(info.mtu, 1450u);
  EXPECT_EQ(info.mac, mac.str());
  std::string details = ip(host_, "-d link show pnbr0");
  EXPECT_TRUE(contains(details, "stp_state 0")) << details;

  // Brought back up if someone downed it.
  ASSERT_OK(hnl_->set_up(br, false));
  EXPECT_EQ(VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1450)), br);
  EXPECT_TRUE(VALUE_OR_FAIL(hnl_->link_info(br)).up);
}

TEST_F(Links, EnsureBridgeRefusesNonBridge) {
  ASSERT_TRUE(hnl_->create_veth(veth("pnbr1")));
  auto r = hnl_->ensure_bridge("pnbr1", 1500);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EEXIST);
  EXPECT_TRUE(contains(r.error().message, "veth")) << r.error().message;
}

TEST_F(Links, MasterUpHairpinMtuMacRename) {
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1500));
  VethSpec spec = veth();
  spec.host_up = false;
  LinkInfo host = VALUE_OR_FAIL(hnl_->create_veth(spec));
  EXPECT_FALSE(host.up);
  EXPECT_EQ(host.master, 0);

  ASSERT_OK(hnl_->set_master(host.index, br));
  ASSERT_OK(hnl_->set_up(host.index));
  host = VALUE_OR_FAIL(hnl_->link_info(host.index));
  EXPECT_EQ(host.master, br);
  EXPECT_TRUE(host.up);

  ASSERT_OK(hnl_->set_hairpin(host.index, true));
  EXPECT_TRUE(contains(ip(host_, "-d link show pnv0"), "hairpin on"));
  ASSERT_OK(hnl_->set_hairpin(host.index, false));
  EXPECT_TRUE(contains(ip(host_, "-d link show pnv0"), "hairpin off"));

  ASSERT_OK(hnl_->set_mtu(host.index, 1300));
  Mac mac = *Mac::parse("02:00:00:00:be:ef");
  ASSERT_OK(hnl_->set_mac(host.index, mac));
  ASSERT_OK(hnl_->set_up(host.index, false));
  ASSERT_OK(hnl_->rename(host.index, "pnv0new"));
  host = VALUE_OR_FAIL(hnl_->link_info(host.index));
  EXPECT_EQ(host.name, "pnv0new");
  EXPECT_EQ(host.mtu, 1300u);
  EXPECT_EQ(host.mac, mac.str());
  EXPECT_FALSE(host.up);

  ASSERT_OK(hnl_->set_master(host.index, 0));
  EXPECT_EQ(VALUE_OR_FAIL(hnl_->link_info(host.index)).master, 0);
}

TEST_F(Links, VethCreatedOnBridgeInOneRequest) {
  int br = VALUE_OR_FAIL(hnl_->ensure_bridge("pnbr0", 1500));
  VethSpec spec = veth();
  spec.master = br;
  LinkInfo host = VALUE_OR_FAIL(hnl_->create_veth(spec));
  EXPECT_EQ(host.master, br);
  EXPECT_TRUE(host.up);
}

TEST_F(Links, HairpinOnNonPortFails) {
  LinkInfo host = VALUE_OR_FAIL(hnl_->create_veth(veth()));
  auto r = hnl_->set_hairpin(host.index, true);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().sys_errno, 0) << r.error().message;
}

TEST_F(Links, DeleteLinkMissingIsNotAnError) {
  EXPECT_FALSE(VALUE_OR_FAIL(hnl_->delete_link("pnnope0")));
  EXPECT_FALSE(VALUE_OR_FAIL(hnl_->delete_link(4242)));
  LinkInfo host = VALUE_OR_FAIL(hnl_->create_veth(veth()));
  EXPECT_TRUE(VALUE_OR_FAIL(hnl_->delete_link("pnv0")));
  EXPECT_FALSE(VALUE_OR_FAIL(hnl_->delete_link(host.index)));
  // Deleting one end removes the pair.
  auto eth0 = pnl_->link_index("eth0");
  ASSERT_FALSE(eth0);
  EXPECT_EQ(eth0.error().sys_errno, ENODEV);
}

TEST_F(Links, ListLinks) {
  ASSERT_TRUE(hnl_->create_veth(veth()));
  auto links = VALUE_OR_FAIL(hnl_->list_links());
  std::vector<std::string> names;
  for (const auto& l : links) names.push_back(l.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "lo"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "pnv0"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "eth0"), names.end());
}

}  // namespace
}  // namespace podnet::sys::test
