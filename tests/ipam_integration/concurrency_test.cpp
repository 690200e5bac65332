// 64 plugin processes at once: the lock serialises them, every address is distinct.
#include <latch>
#include <set>
#include <thread>

#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

class Concurrency : public IpamTest {};

// Starts all calls together (spawned from threads released by one latch).
std::vector<Outcome> run_all(const std::vector<Call>& calls) {
  std::vector<Outcome> out(calls.size());
  std::latch go(static_cast<std::ptrdiff_t>(calls.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i)
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      out[i] = run(calls[i]);
    });
  for (auto& t : threads) t.join();
  return out;
}

TEST_F(Concurrency, SixtyFourAddsGetSixtyFourAddresses) {
  const auto c = conf(R"("ranges":[[{"subnet":"10.30.0.0/24"}],[{"subnet":"fd30::/64"}]])");
  std::vector<Call> calls;
  for (int i = 0; i < 64; ++i)
    calls.push_back(Call{podnet_ipam_binary(), "ADD", "c" + std::to_string(i), "eth0", c, ""});
  auto outs = run_all(calls);
  std::set<std::string> v4, v6;
  for (const auto& o : outs) {
    ASSERT_TRUE(o.ok()) << o.msg();
    auto ips = o.ips();
    ASSERT_EQ(ips.size(), 2u);
    v4.insert(ips[0]);
    v6.insert(ips[1]);
  }
  EXPECT_EQ(v4.size(), 64u);
  EXPECT_EQ(v6.size(), 64u);
  EXPECT_EQ(address_files().size(), 128u);
  EXPECT_EQ(index_files().size(), 64u);

  for (auto& call : calls) call.command = "DEL";
  for (const auto& o : run_all(calls)) EXPECT_TRUE(o.ok()) << o.msg();
  EXPECT_TRUE(address_files().empty());
  EXPECT_TRUE(index_files().empty());
}

}  // namespace
}  // namespace podnet::ipam::it
