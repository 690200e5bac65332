// Netns::open on paths that are not namespaces (CNI_NETNS is the runtime's, i.e. a user's,
// word): an error naming the path, and never a hang (a FIFO blocks a plain open forever).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "podnet/sys/netns.hpp"

namespace {

class NetnsOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podnet-netns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(NetnsOpen, FifoIsRefusedWithoutBlocking) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto ns = podnet::sys::Netns::open(fifo);
  ASSERT_FALSE(ns);
  EXPECT_NE(ns.error().message.find(fifo), std::string::npos) << ns.error().message;
  EXPECT_NE(ns.error().message.find("not a namespace file"), std::string::npos)
      << ns.error().message;
}

TEST_F(NetnsOpen, RegularFilesAndDevicesAreRefused) {
  std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  EXPECT_FALSE(podnet::sys::Netns::open(file));
  EXPECT_FALSE(podnet::sys::Netns::open("/dev/null"));
  EXPECT_FALSE(podnet::sys::Netns::open(dir_ + "/missing"));
}

TEST_F(NetnsOpen, OwnNamespaceOpens) {
  EXPECT_TRUE(podnet::sys::Netns::open("/proc/thread-self/ns/net"));
}

}  // namespace
