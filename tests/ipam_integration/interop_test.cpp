// Migration and interoperation with the reference host-local (Debian containernetworking-
// plugins 1.1.1) on one data directory, both ways.
#include <latch>
#include <set>
#include <thread>

#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

const std::string kRanges = R"("ranges":[[{"subnet":"10.60.0.0/24"}],[{"subnet":"fd60::/64"}]])";

class Interop : public IpamTest {
 protected:
  void SetUp() override {
    IpamTest::SetUp();
    if (!have_host_local()) GTEST_SKIP() << kHostLocal << " missing";
  }
  // host-local 1.1.1 speaks up to 1.0.0.
  std::string pn() const { return conf(kRanges, "1.0.0"); }
  std::string hl() const { return conf(kRanges, "1.0.0", "", "host-local"); }
  void expect_no_duplicates() {
    std::map<std::string, int> count;
    for (const auto& [ip, content] : address_files())
      count[content + (ip.find(':') == std::string::npos ? "/4" : "/6")]++;
    for (const auto& [k, n] : count) EXPECT_EQ(n, 1) << k << " holds " << n << " addresses";
  }
};

TEST_F(Interop, MigrationFromHostLocal) {
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto o = host_local("ADD", "h" + std::to_string(i), hl());
    ASSERT_TRUE(o.ok()) << o.out << o.err;
    for (const auto& ip : o.ips()) seen.insert(ip);
  }
  ASSERT_FALSE(exists(".podnet"));
  // Switch the type: podnet-ipam continues round robin after host-local's last address.
  auto p = podnet("ADD", "p0", pn());
  ASSERT_TRUE(p.ok()) << p.msg();
  EXPECT_EQ(p.ips(), (std::vector<std::string>{"10.60.0.7/24", "fd60::7/64"}));
  // The pods host-local set up are released by podnet-ipam's DEL (and CHECK sees them).
  EXPECT_TRUE(podnet("CHECK", "h2", pn()).ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(podnet("DEL", "h" + std::to_string(i), pn()).ok());
  EXPECT_EQ(address_files().size(), 2u);
  EXPECT_EQ(index_files().size(), 1u);
}

TEST_F(Interop, HostLocalOnAPodnetDirectory) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(podnet("ADD", "p" + std::to_string(i), pn()).ok());
  // Rolled back: host-local allocates around podnet's files and frees them on DEL.
  for (int i = 0; i < 4; ++i) {
    auto o = host_local("ADD", "h" + std::to_string(i), hl());
    ASSERT_TRUE(o.ok()) << o.out << o.err;
  }
  expect_no_duplicates();
  EXPECT_EQ(address_files().size(), 16u);
  auto d = host_local("DEL", "p1", hl());
  ASSERT_TRUE(d.ok()) << d.out << d.err;
  EXPECT_EQ(address_files().size(), 14u);
  EXPECT_TRUE(index_files().count("p1:eth0"));  // stale until podnet-ipam runs again
  // host-local's walk must not have taken podnet's own files for address records.
  EXPECT_TRUE(exists(".podnet/boot_id"));
  EXPECT_EQ(index_files().size(), 4u);

  // Forward again: podnet-ipam notices host-local's writes, indexes them, drops p1's index.
  ASSERT_TRUE(podnet("ADD", "p9", pn()).ok());
  EXPECT_FALSE(index_files().count("p1:eth0"));
  EXPECT_TRUE(index_files().count("h3:eth0"));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(podnet("DEL", "h" + std::to_string(i), pn()).ok());
  for (int i : {0, 2, 3}) EXPECT_TRUE(host_local("DEL", "p" + std::to_string(i), hl()).ok());
  ASSERT_TRUE(podnet("DEL", "p9", pn()).ok());
  EXPECT_TRUE(address_files().empty());
  ASSERT_TRUE(podnet("DEL", "nobody", pn()).ok());
  EXPECT_TRUE(index_files().empty());
}

TEST_F(Interop, BothPluginsConcurrently) {
  std::vector<Call> calls;
  for (int i = 0; i < 16; ++i) {
    calls.push_back(Call{podnet_ipam_binary(), "ADD", "p" + std::to_string(i), "eth0", pn(), ""});
    calls.push_back(Call{kHostLocal, "ADD", "h" + std::to_string(i), "eth0", hl(), ""});
  }
  std::vector<Outcome> outs(calls.size());
  std::latch go(static_cast<std::ptrdiff_t>(calls.size()));
  std::vector<std::thread> ts;
  for (size_t i = 0; i < calls.size(); ++i)
    ts.emplace_back([&, i] {
      go.arrive_and_wait();
      outs[i] = run(calls[i]);
    });
  for (auto& t : ts) t.join();
  std::set<std::string> ips;
  for (const auto& o : outs) {
    ASSERT_TRUE(o.ok()) << o.out << o.err;
    for (const auto& ip : o.ips()) EXPECT_TRUE(ips.insert(ip).second) << ip << " given twice";
  }
  EXPECT_EQ(ips.size(), 64u);
  expect_no_duplicates();
  // podnet-ipam releases all of them, whoever allocated.
  for (const auto& c : calls) EXPECT_TRUE(podnet("DEL", c.container_id, pn()).ok());
  EXPECT_TRUE(address_files().empty());
}

// Files written in host-local's layout by hand, including the pre-ifname legacy format.
TEST_F(Interop, HandWrittenHostLocalLayoutIsFoundByDel) {
  write("10.60.0.10", "aaa\r\neth0");
  write("10.60.0.11", "aaa\r\neth1");
  write("fd60::10", "aaa\r\neth0");
  write("10.60.0.12", "legacy\n");
  write("last_reserved_ip.0", "10.60.0.12");
  ASSERT_TRUE(podnet("DEL", "aaa", pn()).ok());
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.60.0.11", "aaa\r\neth1"},
                                                                 {"10.60.0.12", "legacy\n"}}));
  ASSERT_TRUE(podnet("DEL", "legacy", pn(), "eth5").ok());
  EXPECT_EQ(address_files().size(), 1u);
}

}  // namespace
}  // namespace podnet::ipam::it
