#pragma once
// A sqlite store of the test's own in a temporary directory (removed by TearDown, also after a
// failure) and podnetctl runs against it.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "podnet/cluster/objects.hpp"

namespace podnet::testing {

struct CtlRun {
  int rc = -1;
  std::string out, err;
};

class CtlTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `podnetctl --store <url> ARGS` (ARGS are shell words); `input` goes to its stdin.
  CtlRun ctl(const std::string& args, const std::string& input = "") const;
  // Writes `text` to a file in the test's directory; returns its path.
  std::string file(const std::string& name, const std::string& text) const;
  // Puts a Running, ready pod in the store (for endpoints).
  void put_pod(const cluster::Pod& p) const;
  // Non-empty lines of text.
  static std::vector<std::string> lines(const std::string& text);

  std::filesystem::path dir_;
  std::string url_;
};

}  // namespace podnet::testing
