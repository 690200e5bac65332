// Reboot recovery: allocations recorded under another boot id are reclaimed on first use.
#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

class Boot : public IpamTest {};

const std::string kOldBoot = "boot_id=00000000-0000-4000-8000-000000000000\n";

TEST_F(Boot, NewBootReclaimsEverything) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.50.0.0/24"}]])");
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(podnet("ADD", id, c).ok());
  ASSERT_TRUE(exists(".podnet/boot_id"));
  write(".podnet/boot_id", kOldBoot);  // as if these were made before a reboot
  auto add = podnet("ADD", "d", c);
  ASSERT_TRUE(add.ok()) << add.msg();
  // Round robin continues after the last reserved address; a, b, c are gone.
  EXPECT_EQ(add.ips(), (std::vector<std::string>{"10.50.0.5/24"}));
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.50.0.5", "d\r\neth0"}}));
  EXPECT_EQ(index_files().size(), 1u);
  EXPECT_NE(read(".podnet/boot_id"), kOldBoot);
  EXPECT_EQ(podnet("CHECK", "a", c).code(), 3);
}

TEST_F(Boot, StatusAfterRebootSeesTheFreedRange) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.50.0.0/30"}]])");
  ASSERT_TRUE(podnet("ADD", "a", c).ok());
  EXPECT_EQ(podnet("STATUS", "", c).code(), 50);
  write(".podnet/boot_id", kOldBoot);
  auto st = podnet("STATUS", "", c);
  EXPECT_TRUE(st.ok()) << st.msg();
}

// After a reboot host-local (rolled back to) allocated before podnet-ipam ran again: its
// allocation was made in this boot and must survive.
TEST_F(Boot, AllocationsMadeByOthersInThisBootSurvive) {
  if (!have_host_local()) GTEST_SKIP() << kHostLocal << " missing";
  const std::string ranges = R"("ranges":[[{"subnet":"10.50.0.0/24"}]])";
  ASSERT_TRUE(podnet("ADD", "a", conf(ranges, "1.0.0")).ok());
  write(".podnet/boot_id", kOldBoot);
  auto hl = host_local("ADD", "h", conf(ranges, "1.0.0", "", "host-local"));
  ASSERT_TRUE(hl.ok()) << hl.out << hl.err;
  ASSERT_TRUE(podnet("ADD", "b", conf(ranges, "1.0.0")).ok());
  auto files = address_files();
  EXPECT_TRUE(files.count("10.50.0.3")) << "host-local's allocation of this boot was reclaimed";
  EXPECT_EQ(files["10.50.0.3"], "h\r\neth0");
}

TEST_F(Boot, NoRecordAdoptsWithoutReclaiming) {
  // A host-local directory: no .podnet at all.
  write("10.50.0.2", "x\r\neth0");
  write("last_reserved_ip.0", "10.50.0.2");
  const auto c = conf(R"("ranges":[[{"subnet":"10.50.0.0/24"}]])");
  auto add = podnet("ADD", "y", c);
  ASSERT_TRUE(add.ok()) << add.msg();
  EXPECT_EQ(add.ips(), (std::vector<std::string>{"10.50.0.3/24"}));
  EXPECT_EQ(address_files().size(), 2u);
  EXPECT_TRUE(exists(".podnet/boot_id"));
}

}  // namespace
}  // namespace podnet::ipam::it
