#pragma once
// When IPv4 routes appear in several network namespaces, timestamped as the kernel announces
// them (rtnetlink multicast). Polling `ip route` instead would add tens of milliseconds of
// process start-up per sample on a loaded 2-core machine and blur sub-second figures.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace podnet::bench {

class RouteWatch {
 public:
  using Clock = std::chrono::steady_clock;
  // One rtnetlink socket per netns path, opened on a short-lived thread inside it.
  explicit RouteWatch(const std::vector<std::string>& netns_paths);
  ~RouteWatch();
  RouteWatch(const RouteWatch&) = delete;
  RouteWatch& operator=(const RouteWatch&) = delete;

  // When the route to `dst` ("192.168.3.0/24") in netns i was added; nullopt when it is
  // absent (never seen, or deleted since).
  std::optional<Clock::time_point> added(size_t i, const std::string& dst) const;

 private:
  void loop();
  std::vector<int> fds_;
  int stop_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::map<std::pair<size_t, std::string>, Clock::time_point> present_;
  std::thread thread_;
};

}  // namespace podnet::bench
