// The disk store's consistency mark, driven directly: a session that does not finish (a
// process killed mid-command) leaves the directory unmarked, and the next open repairs it.
#include "podnet/ipam/disk_store.hpp"

#include <sys/stat.h>

#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

class DiskStoreTest : public IpamTest {
 protected:
  DiskStore open_store() {
    DiskStore::Options o;
    o.location = StoreLocation{data_dir_, network_};
    auto s = DiskStore::open(o);
    EXPECT_TRUE(s && *s) << (s ? "" : s.error().message);
    return std::move(**s);
  }
  bool marked() const {
    struct stat st {};
    EXPECT_EQ(::stat(net_dir().c_str(), &st), 0);
    return st.st_mtim.tv_sec == 1 && st.st_mtim.tv_nsec == 0;
  }
  static net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }
};

TEST_F(DiskStoreTest, FinishedSessionsAreTrustedUnfinishedOnesRepaired) {
  {
    auto s = open_store();
    EXPECT_TRUE(s.report().reindexed);  // a new directory is indexed once
    ASSERT_TRUE(s.reserve("a", "eth0", ip("10.0.0.2"), 0).value_or(false));
    ASSERT_TRUE(s.finish());
  }
  EXPECT_TRUE(marked());
  {
    auto s = open_store();
    EXPECT_FALSE(s.report().reindexed);
    EXPECT_EQ(s.get_by_id("a", "eth0").value_or(std::vector<net::IpAddress>{}),
              (std::vector<net::IpAddress>{ip("10.0.0.2")}));
    // Killed after creating the address file, before the index: no finish().
    ASSERT_TRUE(s.reserve("b", "eth0", ip("10.0.0.3"), 0).value_or(false));
  }
  EXPECT_FALSE(marked());
  EXPECT_FALSE(index_files().count("b:eth0"));
  {
    auto s = open_store();
    EXPECT_TRUE(s.report().reindexed);
    EXPECT_EQ(s.get_by_id("b", "eth0").value_or(std::vector<net::IpAddress>{}),
              (std::vector<net::IpAddress>{ip("10.0.0.3")}));
    ASSERT_TRUE(s.release_by_id("b", "eth0"));
    ASSERT_TRUE(s.finish());
  }
  EXPECT_TRUE(marked());
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.0.0.2", "a\r\neth0"}}));
}

TEST_F(DiskStoreTest, ReleaseOfOneAddressUpdatesTheIndex) {
  auto s = open_store();
  ASSERT_TRUE(s.reserve("a", "eth0", ip("10.0.0.2"), 0).value_or(false));
  ASSERT_TRUE(s.reserve("a", "eth0", ip("fd00::2"), 1).value_or(false));
  ASSERT_TRUE(s.finish());
  EXPECT_EQ(read(".podnet/by-id/a:eth0"),
            "podnet-ipam-index=1\nid=a\nifname=eth0\nip=10.0.0.2\nip=fd00::2\n");
  ASSERT_TRUE(s.release(ip("10.0.0.2")));
  ASSERT_TRUE(s.finish());
  EXPECT_EQ(read(".podnet/by-id/a:eth0"), "podnet-ipam-index=1\nid=a\nifname=eth0\nip=fd00::2\n");
  EXPECT_EQ(read("last_reserved_ip.1"), "fd00::2");
  ASSERT_TRUE(s.release(ip("fd00::2")));
  ASSERT_TRUE(s.finish());
  EXPECT_TRUE(index_files().empty());
}

}  // namespace
}  // namespace podnet::ipam::it
