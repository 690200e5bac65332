// ADD / CHECK / DEL as a runtime drives them, result formats per version, CHECK drift.
#include <sys/stat.h>

#include <fstream>

#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

using nlohmann::json;

const std::string kRanges =
    R"("ranges":[[{"subnet":"10.20.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}])";

std::string with_prev(std::string config, const json& result) {
  json j = json::parse(config);
  j["prevResult"] = result;
  return j.dump();
}

class RoundTrip : public IpamTest {};

TEST_F(RoundTrip, AddCheckDelDelAgain) {
  const auto c = conf(kRanges);
  auto add = podnet("ADD", "c1", c);
  ASSERT_TRUE(add.ok()) << add.msg();
  EXPECT_EQ(add.doc["cniVersion"], "1.1.0");
  EXPECT_EQ(add.ips(), (std::vector<std::string>{"10.20.0.2/24"}));
  EXPECT_EQ(add.doc["ips"][0]["gateway"], "10.20.0.1");
  EXPECT_FALSE(add.doc.contains("interfaces"));
  EXPECT_EQ(add.doc["routes"], json::parse(R"([{"dst":"0.0.0.0/0"}])"));

  // host-local's layout: the address file with "id\r\nifname", mode 0600.
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.20.0.2", "c1\r\neth0"}}));
  struct stat st {};
  ASSERT_EQ(::stat((net_dir() + "/10.20.0.2").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read("last_reserved_ip.0"), "10.20.0.2");
  EXPECT_TRUE(index_files().count("c1:eth0"));
  // The consistency mark: the directory's mtime set to 1970-01-01T00:00:01Z.
  ASSERT_EQ(::stat(net_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1);

  auto check = podnet("CHECK", "c1", with_prev(c, add.doc));
  EXPECT_TRUE(check.ok()) << check.msg();
  EXPECT_TRUE(podnet("CHECK", "c1", c).ok());  // without prevResult: the record alone

  auto del = podnet("DEL", "c1", c);
  EXPECT_TRUE(del.ok()) << del.msg();
  EXPECT_TRUE(del.out.empty());
  EXPECT_TRUE(address_files().empty());
  EXPECT_TRUE(index_files().empty());
  EXPECT_TRUE(podnet("DEL", "c1", c).ok());  // idempotent
  EXPECT_TRUE(podnet("DEL", "never-added", c).ok());

  auto gone = podnet("CHECK", "c1", c);
  EXPECT_EQ(gone.code(), 3) << gone.msg();
  EXPECT_EQ(gone.msg(), "no address reserved for container c1 interface eth0 in network testnet");
}

TEST_F(RoundTrip, DelOfANetworkNeverUsedCreatesNothing) {
  EXPECT_TRUE(podnet("DEL", "c1", conf(kRanges)).ok());
  EXPECT_FALSE(exists(""));
}

TEST_F(RoundTrip, DelWorksEvenWhenTheRangesWereBrokenSince) {
  ASSERT_TRUE(podnet("ADD", "c1", conf(kRanges)).ok());
  auto del = podnet("DEL", "c1", conf(R"("ranges":[[{"subnet":"nonsense"}]])"));
  EXPECT_TRUE(del.ok()) << del.msg();
  EXPECT_TRUE(address_files().empty());
}

TEST_F(RoundTrip, ResultFormatPerVersion) {
  const std::string dual = R"("ranges":[[{"subnet":"10.20.0.0/24"}],[{"subnet":"fd20::/64"}]])";
  auto v040 = podnet("ADD", "a", conf(dual, "0.4.0"));
  ASSERT_TRUE(v040.ok()) << v040.msg();
  EXPECT_EQ(v040.doc["cniVersion"], "0.4.0");
  EXPECT_EQ(v040.doc["ips"][0]["version"], "4");
  EXPECT_EQ(v040.doc["ips"][1]["version"], "6");
  EXPECT_EQ(v040.ips(), (std::vector<std::string>{"10.20.0.2/24", "fd20::2/64"}));

  auto v100 = podnet("ADD", "b", conf(dual, "1.0.0"));
  ASSERT_TRUE(v100.ok()) << v100.msg();
  EXPECT_EQ(v100.doc["cniVersion"], "1.0.0");
  EXPECT_FALSE(v100.doc["ips"][0].contains("version"));
  EXPECT_EQ(v100.ips(), (std::vector<std::string>{"10.20.0.3/24", "fd20::3/64"}));

  auto v110 = podnet("ADD", "c", conf(dual, "1.1.0"));
  ASSERT_TRUE(v110.ok()) << v110.msg();
  EXPECT_EQ(v110.doc["cniVersion"], "1.1.0");
  EXPECT_EQ(v110.doc["ips"][1]["gateway"], "fd20::1");

  EXPECT_EQ(index_files().size(), 3u);
  EXPECT_EQ(address_files().size(), 6u);
}

TEST_F(RoundTrip, RequestedAddressesAndDns) {
  std::ofstream(data_dir_ + "/resolv.conf") << "nameserver 10.96.0.10\nsearch svc.cluster.local\n"
                                               "options ndots:5\n";
  auto c = conf(kRanges + R"(,"resolvConf":")" + data_dir_ + "/resolv.conf\"", "1.1.0",
                R"("runtimeConfig":{"ips":["10.20.0.77/24"]})");
  auto add = podnet("ADD", "c1", c);
  ASSERT_TRUE(add.ok()) << add.msg();
  EXPECT_EQ(add.ips(), (std::vector<std::string>{"10.20.0.77/24"}));
  EXPECT_EQ(
      add.doc["dns"],
      json::parse(
          R"({"nameservers":["10.96.0.10"],"search":["svc.cluster.local"],"options":["ndots:5"]})"));
  // CNI_ARGS IP= for another container: taken -> 104.
  auto taken = podnet("ADD", "c2", conf(kRanges), "eth0", "IgnoreUnknown=1;IP=10.20.0.77");
  EXPECT_EQ(taken.code(), 104) << taken.msg();
  auto second = podnet("ADD", "c1", conf(kRanges));
  EXPECT_EQ(second.code(), 105) << second.msg();
  auto bad =
      podnet("ADD", "c3", conf(R"("ranges":[[{"subnet":"10.1.0.0/16","rangeStart":"10.2.0.5"}]])"));
  EXPECT_EQ(bad.code(), 7);
  EXPECT_EQ(bad.msg(), "ipam.ranges[0][0].rangeStart: 10.2.0.5 is outside subnet 10.1.0.0/16");
}

TEST_F(RoundTrip, CheckNamesWhatDrifted) {
  const auto c = conf(kRanges);
  auto a = podnet("ADD", "a", c);
  auto b = podnet("ADD", "b", c);
  ASSERT_TRUE(a.ok() && b.ok());

  // prevResult with another container's address, a wrong prefix length, a missing address.
  json prev = a.doc;
  prev["ips"][0]["address"] = "10.20.0.3/24";
  auto other = podnet("CHECK", "a", with_prev(c, prev));
  EXPECT_EQ(other.code(), 7);
  EXPECT_EQ(other.msg(),
            "prevResult.ips[0]: 10.20.0.3 is not reserved for container a interface eth0");
  prev["ips"][0]["address"] = "10.20.0.2/16";
  auto len = podnet("CHECK", "a", with_prev(c, prev));
  EXPECT_EQ(len.code(), 7);
  EXPECT_EQ(len.msg(),
            "prevResult.ips[0].address: 10.20.0.2/16 but 10.20.0.0/24 has prefix length 24");
  prev["ips"] = json::array();
  auto missing = podnet("CHECK", "a", with_prev(c, prev));
  EXPECT_EQ(missing.code(), 7);
  EXPECT_EQ(missing.msg(),
            "prevResult.ips: reserved address 10.20.0.2 of container a interface eth0 is missing");

  // The index claims b's address (index files live outside the watched directory).
  write(".podnet/by-id/a:eth0", "podnet-ipam-index=1\nid=a\nifname=eth0\nip=10.20.0.3\n");
  auto drift = podnet("CHECK", "a", c);
  EXPECT_EQ(drift.code(), 5);
  EXPECT_EQ(drift.msg(),
            "reservation of container a interface eth0 drifted: the index lists "
            "10.20.0.3 but " +
                net_dir() + "/10.20.0.3 belongs to container b interface eth0");
  // DEL trusts no index entry it cannot verify: b keeps its address.
  EXPECT_TRUE(podnet("DEL", "a", c).ok());
  EXPECT_TRUE(address_files().count("10.20.0.3"));
}

}  // namespace
}  // namespace podnet::ipam::it
