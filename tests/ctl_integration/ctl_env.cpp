#include "ctl_env.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "podnet/store/store.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
}  // namespace

void CtlTest::SetUp() {
  auto prefix = unique_prefix("ctl");
  dir_ = std::filesystem::temp_directory_path() / prefix;
  std::filesystem::create_directories(dir_);
  url_ = "sqlite://" + (dir_ / "store.db").string();
}

void CtlTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

CtlRun CtlTest::ctl(const std::string& args, const std::string& input) const {
  const auto in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
  std::ofstream(in, std::ios::binary) << input;
  const std::string cmd = build_path("apps/podnetctl/podnetctl") + " --store " + url_ + " " + args +
                          " <" + in.string() + " >" + out.string() + " 2>" + err.string();
  int st = std::system(cmd.c_str());
  CtlRun r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string CtlTest::file(const std::string& name, const std::string& text) const {
  const auto p = dir_ / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

void CtlTest::put_pod(const cluster::Pod& p) const {
  auto st = store::open_store(url_);
  ASSERT_TRUE(st) << st.error().message;
  auto r = (*st)->put(cluster::pod_key(p.ns, p.name), cluster::to_json(p).dump());
  ASSERT_TRUE(r) << r.error().message;
}

std::vector<std::string> CtlTest::lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace podnet::testing
