#pragma once
// Root tests that drive a lab through the podnetctl binary, as a user does: each test has its
// own lab name, TearDown runs `lab down`, and expect_nothing_left() checks that no namespace,
// process, file or root-namespace link survived.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace podnet::testing {

struct CtlRun {
  int rc = -1;
  std::string out;  // stdout and stderr
};

std::vector<std::string> lines_of(const std::string& text);
std::vector<std::string> words_of(const std::string& line);

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `podnetctl --lab <lab_> args` with optional leading env assignments.
  CtlRun ctl(const std::string& args, const std::string& env = "") const;
  // Lines of `ctl(args)` split into words, header row first; fails the test when rc != 0.
  std::vector<std::vector<std::string>> table(const std::string& args) const;

  std::vector<std::string> lab_netns() const;
  std::vector<std::string> lab_processes() const;
  void expect_nothing_left() const;
  nlohmann::json lab_json() const;

  std::string ns_path(const std::string& suffix) const {  // "lxb001", "ext", "pod-web-x"
    return "/var/run/netns/" + lab_ + "-" + suffix;
  }

  std::string lab_;
  std::string root_links_before_;
};

}  // namespace podnet::testing
