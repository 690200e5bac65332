// Files podnet creates where others may have planted something (issue 9).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "podnet/common/files.hpp"
#include "podnet/common/text.hpp"
#include "podnet/common/trusted_dir.hpp"

namespace podnet {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podnet-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("chmod -R u+rwx " + dir_ + "; rm -rf " + dir_).c_str()); }
  std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST(UntrustedDirReason, Rules) {
  EXPECT_FALSE(untrusted_dir_reason(0, 040755, 0, true));
  EXPECT_FALSE(untrusted_dir_reason(0, 041777, 0, false)) << "/tmp on the way is fine";
  EXPECT_TRUE(untrusted_dir_reason(0, 041777, 0, true)) << "but not as the directory used";
  EXPECT_TRUE(untrusted_dir_reason(0, 040775, 0, false));
  EXPECT_TRUE(untrusted_dir_reason(0, 040757, 0, true));
  EXPECT_TRUE(untrusted_dir_reason(1000, 040755, 0, true));
  EXPECT_TRUE(untrusted_dir_reason(1000, 040755, 0, false));
  EXPECT_FALSE(untrusted_dir_reason(1000, 040700, 1000, true)) << "a non-root user's own";
  EXPECT_FALSE(untrusted_dir_reason(0, 040755, 1000, false)) << "root's ancestors";
  EXPECT_TRUE(untrusted_dir_reason(0, 040755, 1000, true)) << "the leaf must be the euid's";
}

TEST_F(TempDir, OpenTrustedDirCreatesAndChecks) {
  auto fd = open_trusted_dir(dir_ + "/a/b/c", true, 0755);
  ASSERT_TRUE(fd) << fd.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  // Missing and not created: ENOENT for the caller to tell apart.
  auto missing = open_trusted_dir(dir_ + "/nope", false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  EXPECT_TRUE(open_trusted_dir(dir_ + "/a/./b/../b/c", false));
}

TEST_F(TempDir, GroupOrWorldWritableDirectoriesAreRefused) {
  ASSERT_TRUE(open_trusted_dir(dir_ + "/a/b", true));
  ::chmod((dir_ + "/a/b").c_str(), 0777);
  auto r = open_trusted_dir(dir_ + "/a/b", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(dir_ + "/a/b: writable by group or others (mode 0777)"),
            std::string::npos)
      << r.error().message;
  // On the way: world-writable refused, unless sticky (like /tmp).
  ::chmod((dir_ + "/a/b").c_str(), 0755);
  ::chmod((dir_ + "/a").c_str(), 0777);
  r = open_trusted_dir(dir_ + "/a/b", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(dir_ + "/a:"), std::string::npos) << r.error().message;
  ::chmod((dir_ + "/a").c_str(), 01777);
  EXPECT_TRUE(open_trusted_dir(dir_ + "/a/b", false));
  // Nor is anything created under a refused directory.
  ::chmod((dir_ + "/a").c_str(), 0777);
  EXPECT_FALSE(open_trusted_dir(dir_ + "/a/new", true));
  EXPECT_NE(::access((dir_ + "/a/new").c_str(), F_OK), 0);
}

TEST_F(TempDir, OwnSymlinksAreFollowedAndChecked) {
  ASSERT_TRUE(open_trusted_dir(dir_ + "/real/x", true));
  ASSERT_EQ(::symlink((dir_ + "/real").c_str(), (dir_ + "/link").c_str()), 0);
  EXPECT_TRUE(open_trusted_dir(dir_ + "/link/x", false));
  ASSERT_EQ(::symlink("real/x", (dir_ + "/rel").c_str()), 0);
  EXPECT_TRUE(open_trusted_dir(dir_ + "/rel", false));
  ::chmod((dir_ + "/real/x").c_str(), 0777);
  EXPECT_FALSE(open_trusted_dir(dir_ + "/rel", false)) << "the target is checked as the leaf";
}

TEST_F(TempDir, OthersSymlinksAreNotFollowed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to plant another user's symlink";
  ASSERT_TRUE(open_trusted_dir(dir_ + "/real", true));
  ASSERT_EQ(::symlink((dir_ + "/real").c_str(), (dir_ + "/link").c_str()), 0);
  ASSERT_EQ(::lchown((dir_ + "/link").c_str(), 65534, 65534), 0);
  auto r = open_trusted_dir(dir_ + "/link", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("symlink owned by uid 65534"), std::string::npos)
      << r.error().message;
}

TEST_F(TempDir, WriteFileAtomicNeverFollowsPlantedLinks) {
  std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious";
  std::string target = dir_ + "/state";
  // The old predictable temp name, and the target itself, as symlinks to the victim.
  ASSERT_EQ(::symlink(victim.c_str(), (target + ".tmp." + std::to_string(::getpid())).c_str()), 0);
  ASSERT_EQ(::symlink(victim.c_str(), target.c_str()), 0);
  auto r = write_file_atomic(target, "new\n", true, 0600);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(victim), "precious");
  struct stat st {};
  ASSERT_EQ(::lstat(target.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the link itself was replaced";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(slurp(target), "new\n");
}

TEST_F(TempDir, AppendFileRefusesLinksAndForeignFiles) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious";
  std::string log = dir_ + "/podnet.log";
  ASSERT_EQ(::symlink(victim.c_str(), log.c_str()), 0);
  EXPECT_FALSE(open_append_file(log));
  ::unlink(log.c_str());
  ASSERT_EQ(::link(victim.c_str(), log.c_str()), 0);
  auto r = open_append_file(log);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("2 links"), std::string::npos) << r.error().message;
  ::unlink(log.c_str());
  ASSERT_EQ(::mkfifo(log.c_str(), 0600), 0);
  EXPECT_FALSE(open_append_file(log)) << "a FIFO neither hangs nor passes";
  ::unlink(log.c_str());
  auto ok = open_append_file(log);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_FALSE(open_append_file("relative.log"));
  ::chmod(dir_.c_str(), 0777);
  EXPECT_FALSE(open_append_file(log)) << "a directory others can write";
}

TEST_F(TempDir, ReadFileBoundedRefusesFifosDevicesAndBigFiles) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = read_file_bounded(fifo, 100);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos);
  EXPECT_FALSE(read_file_bounded("/dev/zero", 100));
  std::string big = dir_ + "/big";
  std::ofstream(big) << std::string(101, 'x');
  r = read_file_bounded(big, 100);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("more than 100 bytes"), std::string::npos) << r.error().message;
  EXPECT_EQ(read_file_bounded(big, 101).value().size(), 101u);
}

TEST(Text, Utf8AndControls) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf")) << "overlong";
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80")) << "surrogate";
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
  EXPECT_FALSE(valid_utf8("\xe2\x82")) << "truncated";
  EXPECT_FALSE(has_control_char("eth0"));
  EXPECT_TRUE(has_control_char(std::string("a\0b", 3)));
  EXPECT_TRUE(has_control_char("a\tb"));
  EXPECT_TRUE(has_control_char("a\x7f"));
  EXPECT_TRUE(has_control_char("a\xc2\x85"));
  EXPECT_FALSE(has_control_char("caf\xc3\xa9"));
}

}  // namespace
}  // namespace podnet
