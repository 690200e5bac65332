// STATUS (exhaustion) and GC (valid attachments) through the binary.
#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

class StatusGc : public IpamTest {};

TEST_F(StatusGc, StatusReportsExhaustionOfATinyRange) {
  // A /30 has one address to hand out (.1 is the gateway, .3 the broadcast).
  const auto c = conf(R"("ranges":[[{"subnet":"10.70.0.0/24"}],[{"subnet":"10.71.0.0/30"}]])");
  auto ready = podnet("STATUS", "", c);
  EXPECT_TRUE(ready.ok()) << ready.msg();
  EXPECT_TRUE(ready.out.empty());
  ASSERT_TRUE(podnet("ADD", "a", c).ok());
  auto full = podnet("STATUS", "", c);
  EXPECT_EQ(full.code(), 50);
  EXPECT_EQ(full.msg(),
            "range set 1 (ipam.ranges[1]: 10.71.0.0/30) has no free address: all 1 in use");
  auto add = podnet("ADD", "b", c);
  EXPECT_EQ(add.code(), 101);
  EXPECT_EQ(add.msg(), "no free address in range set 1 (ipam.ranges[1]: 10.71.0.0/30)");
  EXPECT_EQ(address_files().size(), 2u);  // b's address of set 0 was rolled back
  ASSERT_TRUE(podnet("DEL", "a", c).ok());
  EXPECT_TRUE(podnet("STATUS", "", c).ok());
  // STATUS and GC need 1.1.0.
  EXPECT_EQ(podnet("STATUS", "", conf(R"("subnet":"10.70.0.0/24")", "1.0.0")).code(), 1);
}

TEST_F(StatusGc, GcFreesEverythingNotValid) {
  const std::string ranges = R"("ranges":[[{"subnet":"10.72.0.0/24"}]])";
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(podnet("ADD", id, conf(ranges)).ok());
  ASSERT_TRUE(podnet("ADD", "a", conf(ranges), "net1").ok());
  write("10.72.0.50", "");                // writer killed between create and write
  write("10.72.0.51", "zombie\r\neth0");  // no index at all
  auto gc = podnet("GC", "",
                   conf(ranges, "1.1.0",
                        R"("cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],)"
                        R"("cni.dev/attachments":[{"containerID":"c","ifname":"eth0"}])"));
  ASSERT_TRUE(gc.ok()) << gc.msg();
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.72.0.2", "a\r\neth0"},
                                                                 {"10.72.0.4", "c\r\neth0"}}));
  auto idx = index_files();
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_TRUE(idx.count("a:eth0") && idx.count("c:eth0"));
  // Without any list GC refuses rather than freeing everything.
  auto none = podnet("GC", "", conf(ranges));
  EXPECT_EQ(none.code(), 7);
  EXPECT_EQ(address_files().size(), 2u);
}

}  // namespace
}  // namespace podnet::ipam::it
