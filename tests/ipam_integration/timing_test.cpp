// Measures (prints, does not assert) the median wall time of ADD and DEL of podnet-ipam vs
// the reference host-local over ~100 allocations each. Calls are interleaved (and a spawn of
// /bin/true timed alongside) so load from other processes hits all of them alike.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "harness.hpp"

namespace podnet::ipam::it {
namespace {

class Timing : public IpamTest {};

double ms(const Call& c, bool expect_ok = true) {
  auto t0 = std::chrono::steady_clock::now();
  auto o = run(c);
  auto t1 = std::chrono::steady_clock::now();
  if (expect_ok) {
    EXPECT_TRUE(o.ok()) << c.binary << ": " << o.out << o.err;
  }
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TEST_F(Timing, MedianAddDelVsHostLocal) {
  constexpr int kN = 100;
  const bool hl = have_host_local();
  const std::string ranges = R"("ranges":[[{"subnet":"10.80.0.0/16"}]])";
  network_ = "timing-podnet";
  const auto pn_conf = conf(ranges, "1.0.0");
  network_ = "timing-host-local";
  const auto hl_conf = conf(ranges, "1.0.0", "", "host-local");
  const Call spawn_only{"/bin/true", "VERSION", "", "eth0", "", ""};

  std::vector<double> base, pn_add, pn_del, hl_add, hl_del;
  for (const char* cmd : {"ADD", "DEL"}) {
    for (int i = 0; i < kN; ++i) {
      std::string id = "t" + std::to_string(i);
      base.push_back(ms(spawn_only, false));
      (cmd[0] == 'A' ? pn_add : pn_del)
          .push_back(ms(Call{podnet_ipam_binary(), cmd, id, "eth0", pn_conf, ""}));
      if (hl)
        (cmd[0] == 'A' ? hl_add : hl_del)
            .push_back(ms(Call{kHostLocal, cmd, id, "eth0", hl_conf, ""}));
    }
  }
  const double b = median(base);
  std::printf("[ timing   ] spawn of /bin/true: median %.3f ms (n=%d)\n", b, 2 * kN);
  std::printf("[ timing   ] podnet-ipam ADD median %.3f ms (%.3f over spawn), DEL %.3f ms (%.3f)\n",
              median(pn_add), median(pn_add) - b, median(pn_del), median(pn_del) - b);
  if (!hl) GTEST_SKIP() << kHostLocal << " missing";
  std::printf("[ timing   ] host-local  ADD median %.3f ms (%.3f over spawn), DEL %.3f ms (%.3f)\n",
              median(hl_add), median(hl_add) - b, median(hl_del), median(hl_del) - b);
  std::printf(
      "[ timing   ] podnet-ipam / host-local: ADD %.2fx, DEL %.2fx (%d allocations in a /16)\n",
      median(pn_add) / median(hl_add), median(pn_del) / median(hl_del), kN);
}

}  // namespace
}  // namespace podnet::ipam::it
