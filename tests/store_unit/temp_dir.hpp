#pragma once
// A directory under /tmp with a unique name, removed with everything in it on destruction.
#include <filesystem>
#include <string>

#include "podnet/testing/netns_fixture.hpp"

namespace podnet::store::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view tag)
      : path_("/tmp/" + podnet::testing::unique_prefix(tag) + "store") {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace podnet::store::testing
