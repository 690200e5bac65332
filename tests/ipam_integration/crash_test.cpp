// kill -9 at random points of a burst of ADDs/DELs, then GC with the runtime's view:
// nothing leaked, nothing given twice, no successful allocation lost.
#include <signal.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "harness.hpp"
#include "podnet/ipam/store_format.hpp"

namespace podnet::ipam::it {
namespace {

class Crash : public IpamTest {};

TEST_F(Crash, KillNineDuringABurstThenGc) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.40.0.0/22"}],[{"subnet":"fd40::/64"}]])");
  std::mt19937 rng(20240601);
  std::map<std::string, std::vector<std::string>> live;  // runtime's view: id -> addresses
  std::set<std::string> tried;
  int killed = 0, n = 0;
  for (int wave = 0; wave < 12; ++wave) {
    std::vector<std::pair<std::string, std::string>> ops;  // (command, id)
    for (int i = 0; i < 24; ++i) ops.emplace_back("ADD", "k" + std::to_string(n++));
    // Some DELs of live containers in the same burst.
    for (auto it = live.begin(); it != live.end() && ops.size() < 30; ++it)
      if (rng() % 3 == 0) ops.emplace_back("DEL", it->first);
    // SIGKILL about a third of them at random moments while they run. The plugin finishes in
    // well under a millisecond, so each victim is killed right after its own spawn (after a
    // random delay of 0-400 us) rather than after the whole burst has been started.
    std::vector<Child> kids;
    kids.reserve(ops.size());
    for (const auto& [cmd, id] : ops) {
      kids.emplace_back(Call{podnet_ipam_binary(), cmd, id, "eth0", c, ""});
      if (rng() % 3 == 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 400));
        ::kill(kids.back().pid(), SIGKILL);
      }
    }
    for (size_t i = 0; i < kids.size(); ++i) {
      auto o = kids[i].finish();
      const auto& [cmd, id] = ops[i];
      if (o.signal == SIGKILL) ++killed;
      if (cmd == "ADD") {
        tried.insert(id);
        if (o.ok())
          live[id] = o.ips();
        else
          EXPECT_EQ(o.signal, SIGKILL) << o.msg();
      } else if (o.ok()) {
        live.erase(id);
      } else {
        EXPECT_EQ(o.signal, SIGKILL) << o.msg();
        // A runtime retries a failed DEL until it succeeds.
        auto again = podnet("DEL", id, c);
        EXPECT_TRUE(again.ok()) << again.msg();
        live.erase(id);
      }
    }
  }
  ASSERT_GT(killed, 0);

  // No address is held twice right now, and every live allocation is on disk.
  auto files = address_files();
  for (const auto& [id, ips] : live)
    for (const auto& cidr : ips) {
      auto ip = cidr.substr(0, cidr.find('/'));
      ASSERT_TRUE(files.count(ip)) << id << " lost " << ip;
      EXPECT_EQ(files[ip], id + "\r\neth0");
    }

  // GC with the runtime's list.
  nlohmann::json valid = nlohmann::json::array();
  for (const auto& [id, ips] : live) valid.push_back({{"containerID", id}, {"ifname", "eth0"}});
  auto gc = podnet("GC", "",
                   conf(R"("ranges":[[{"subnet":"10.40.0.0/22"}],[{"subnet":"fd40::/64"}]])",
                        "1.1.0", R"("cni.dev/valid-attachments":)" + valid.dump()));
  ASSERT_TRUE(gc.ok()) << gc.msg();

  files = address_files();
  std::map<std::string, int> v4_of, v6_of;
  for (const auto& [ip, content] : files) {
    auto owner = decode_owner(content);
    ASSERT_TRUE(owner) << ip << " has an unreadable record after GC";
    ASSERT_TRUE(live.count(owner->id)) << ip << " leaked to " << owner->id;
    (ip.find(':') == std::string::npos ? v4_of : v6_of)[owner->id]++;
  }
  for (const auto& [id, ips] : live) {
    EXPECT_EQ(v4_of[id], 1) << id;
    EXPECT_EQ(v6_of[id], 1) << id;
  }
  // The index agrees with the address files: one per live container.
  EXPECT_EQ(index_files().size(), live.size());
  // And everything still works: DEL all live ones by index, leaving an empty directory.
  for (const auto& [id, ips] : live) EXPECT_TRUE(podnet("DEL", id, c).ok());
  EXPECT_TRUE(address_files().empty());
  EXPECT_TRUE(index_files().empty());
  std::printf("[ crash    ] %zu ADDs tried, %d processes killed, %zu live before GC\n",
              tried.size(), killed, live.size());
}

// The exact crash point between the address file and the index: the file exists, its index
// does not, the directory mark is gone. DEL must still find it.
TEST_F(Crash, AddressFileWithoutIndexIsFoundByDel) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.40.0.0/24"}]])");
  ASSERT_TRUE(podnet("ADD", "a", c).ok());
  write("10.40.0.9", "b\r\neth0");  // as if "b" was killed right after linking its file
  auto del = podnet("DEL", "b", c);
  ASSERT_TRUE(del.ok()) << del.msg();
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.40.0.2", "a\r\neth0"}}));
}

// Killed between unlinking the address file and the index: the stale index must not make a
// later DEL free the address now held by someone else.
TEST_F(Crash, StaleIndexNeverReleasesAnotherContainersAddress) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.40.0.0/24"}]])");
  ASSERT_TRUE(podnet("ADD", "a", c).ok());
  auto stale = read(".podnet/by-id/a:eth0");
  ASSERT_TRUE(podnet("DEL", "a", c).ok());
  write(".podnet/by-id/a:eth0", stale);
  ASSERT_TRUE(podnet("ADD", "b", c, "eth0", "IP=10.40.0.2").ok());
  ASSERT_TRUE(podnet("DEL", "a", c).ok());
  EXPECT_EQ(address_files(), (std::map<std::string, std::string>{{"10.40.0.2", "b\r\neth0"}}));
}

}  // namespace
}  // namespace podnet::ipam::it
