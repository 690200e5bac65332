#pragma once
// Small helpers shared by the benchmarks: statistics, the machine's load (printed with every
// figure, since other work shares these cores), and a Ctrl-C flag that turns into an exception
// at the next check so destructors remove namespaces and processes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace podnet::bench {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "load 1.23 1.10 0.98" from /proc/loadavg.
inline std::string load() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return "load " + a + " " + b + " " + c;
}

inline std::atomic<bool>& interrupted() {
  static std::atomic<bool> flag{false};
  return flag;
}

// SIGINT/SIGTERM/SIGHUP set a flag instead of ending the process at once.
inline void catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { interrupted() = true; };
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

// Throws when a signal arrived, so the stack unwinds through the fixtures' destructors.
inline void check_interrupted() {
  if (interrupted()) throw std::runtime_error("interrupted");
}

}  // namespace podnet::bench
