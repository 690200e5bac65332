#pragma once
// Test namespaces: every test works inside its own `ip netns add pnsys-<random>` namespaces and
// never touches the root namespace; TearDown deletes them (and so everything in them) even when
// the test failed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::sys::test {

// Shell helper for checks only (the library never shells out). Returns stdout.
inline std::string sh(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

// Inode of the calling thread's network namespace.
inline ino_t thread_netns_inode() {
  struct stat st {};
  ::stat("/proc/thread-self/ns/net", &st);
  return st.st_ino;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces";
    root_ino_ = thread_netns_inode();
  }
  void TearDown() override {
    for (const auto& n : names_) sh("ip netns del " + n + " 2>/dev/null");
    // The test thread must end where it started.
    if (root_ino_) {
      EXPECT_EQ(thread_netns_inode(), root_ino_);
    }
  }

  // A fresh namespace; returns its name.
  std::string make_ns() {
    static std::mt19937 rng{std::random_device{}()};
    std::string name = fmt::format("pnsys-{:08x}", rng());
    std::string out = sh("ip netns add " + name + " 2>&1");
    EXPECT_TRUE(out.empty()) << out;
    names_.push_back(name);
    return name;
  }
  static std::string ns_path(const std::string& name) { return "/var/run/netns/" + name; }
  static Result<Netns> open_ns(const std::string& name) { return Netns::open(ns_path(name)); }
  static Result<Netlink> nl_in(const std::string& name) {
    auto ns = open_ns(name);
    if (!ns) return std::unexpected(ns.error());
    return Netlink::open_in(*ns);
  }
  // `ip -n NS ...` output, for independent checks of kernel state.
  static std::string ip(const std::string& ns, const std::string& args) {
    return sh("ip -n " + ns + " " + args + " 2>&1");
  }

 private:
  std::vector<std::string> names_;
  ino_t root_ino_ = 0;
};

// Two namespaces, a node ("host") and a pod, with a Netlink in each: for veth pairs across them.
class HostPodTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped()) return;
    host_ = make_ns();
    pod_ = make_ns();
    auto ns = open_ns(pod_);
    ASSERT_TRUE(ns) << ns.error().message;
    pod_ns_.emplace(std::move(*ns));
    auto h = nl_in(host_);
    ASSERT_TRUE(h) << h.error().message;
    hnl_.emplace(std::move(*h));
    auto p = nl_in(pod_);
    ASSERT_TRUE(p) << p.error().message;
    pnl_.emplace(std::move(*p));
  }

  std::string host_, pod_;
  std::optional<Netns> pod_ns_;
  std::optional<Netlink> hnl_, pnl_;
};

// Asserts a Result<> succeeded, printing its error.
#define ASSERT_OK(expr)                                     \
  do {                                                      \
    auto r_ = (expr);                                       \
    ASSERT_TRUE(r_) << #expr << ": " << r_.error().message; \
  } while (0)
// The value of a Result<T>, failing the test (and returning) on error.
#define VALUE_OR_FAIL(expr)                                       \
  ({                                                              \
    auto r_ = (expr);                                             \
    if (!r_) GTEST_FAIL() << #expr << ": " << r_.error().message; \
    std::move(*r_);                                               \
  })

}  // namespace podnet::sys::test
