#include "lab_cli.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "podnet/lab/plan.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

void LabTest::SetUp() {
  if (!have_root()) GTEST_SKIP() << "needs root (network namespaces)";
  lab_ = unique_prefix("lb");
  lab_.pop_back();  // "pntlb1a2b-" -> a DNS label
  sh("ip -o link show | wc -l", &root_links_before_);
}

void LabTest::TearDown() {
  if (!lab_.empty()) ctl("lab down");
}

CtlRun LabTest::ctl(const std::string& args, const std::string& env) const {
  CtlRun r;
  r.rc =
      sh(fmt::format("{} {} --lab {} {}", env, build_path("apps/podnetctl/podnetctl"), lab_, args),
         &r.out);
  return r;
}

std::vector<std::vector<std::string>> LabTest::table(const std::string& args) const {
  auto r = ctl(args);
  EXPECT_EQ(r.rc, 0) << args << ": " << r.out;
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : lines_of(r.out)) rows.push_back(words_of(l));
  return rows;
}

std::vector<std::string> LabTest::lab_netns() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    const auto name = e.path().filename().string();
    if (name.starts_with(lab_ + "-")) out.push_back(name);
  }
  return out;
}

// Live processes whose command line names the lab (podnetd's paths, kubelet's --lab, etcd's
// --name): none may survive `lab down`.
std::vector<std::string> LabTest::lab_processes() const {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const auto pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(lab_) != std::string::npos) out.push_back(pid + ": " + cmd);
  }
  return out;
}

void LabTest::expect_nothing_left() const {
  EXPECT_EQ(lab_netns(), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(lab::lab_paths(lab_).root));
  // Killed processes may take a moment to leave /proc (reaped by init).
  std::vector<std::string> procs;
  for (int i = 0; i < 50; ++i) {
    procs = lab_processes();
    if (procs.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(procs, std::vector<std::string>{});
  std::string links;
  sh("ip -o link show | wc -l", &links);
  EXPECT_EQ(links, root_links_before_) << "the root namespace's links changed";
}

nlohmann::json LabTest::lab_json() const {
  std::ifstream f(lab::lab_paths(lab_).lab_json());
  return nlohmann::json::parse(f, nullptr, false);
}

}  // namespace podnet::testing
