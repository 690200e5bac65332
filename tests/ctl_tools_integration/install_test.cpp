// make install DESTDIR=... PREFIX=/usr: the programs land in <DESTDIR>/usr/bin, the CNI plugins
// in <DESTDIR>/opt/cni/bin, nothing else; the installed podnetctl runs. Never touches /usr/local.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "podnet/common/scope_guard.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

TEST(MakeInstall, DestdirAndPrefix) {
  const auto dest = std::filesystem::temp_directory_path() / unique_prefix("grfi");
  ScopeGuard cleanup([&] {
    std::error_code ec;
    std::filesystem::remove_all(dest, ec);
  });
  std::string out;
  const int rc =
      sh("make -s -C " + std::string(PODNET_SOURCE_DIR) + " install BUILD=" + PODNET_BUILD_DIR +
             " DESTDIR=" + dest.string() + " PREFIX=/usr 2>&1",
         &out);
  EXPECT_EQ(rc, 0) << out;
  std::set<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dest, ec))
    if (!e.is_directory()) files.insert(std::filesystem::relative(e.path(), dest).string());
  EXPECT_EQ(files, (std::set<std::string>{"usr/bin/podnetctl", "usr/bin/podnetd",
                                          "opt/cni/bin/podnet", "opt/cni/bin/podnet-ipam"}))
      << out;
  for (const auto& f : files) {
    struct stat st {};
    ASSERT_EQ(::stat((dest / f).c_str(), &st), 0) << f;
    EXPECT_TRUE(st.st_mode & S_IXUSR) << f;
  }
  std::string version;
  EXPECT_EQ(sh((dest / "usr/bin/podnetctl").string() + " --version", &version), 0);
  EXPECT_TRUE(version.starts_with("podnetctl ")) << version;
}

}  // namespace
}  // namespace podnet::testing
