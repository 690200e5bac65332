// podnetctl completion bash, sourced in a real bash: the completion function, run with
// COMP_WORDS as bash sets them on TAB, offers commands, aliases resolved, flags, flag values and
// in a lab the live names of pods, nodes, deployments and services.
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "lab_cli.hpp"
#include "podnet/testing/netns_fixture.hpp"

namespace podnet::testing {
namespace {

using Words = std::set<std::string>;

// The completion script of the built podnetctl, in a directory removed at the end.
class Completion {
 public:
  Completion() : dir_(std::filesystem::temp_directory_path() / unique_prefix("grfc")) {
    std::filesystem::create_directories(dir_);
    script_ = (dir_ / "podnetctl.bash").string();
    EXPECT_EQ(sh(ctl_ + " completion bash > " + script_), 0);
  }
  ~Completion() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // COMPREPLY for the command line `podnetctl WORDS` with the cursor on the last word (give ""
  // for a TAB after a space). `err` gets what bash printed on stderr.
  Words complete(const std::vector<std::string>& words, std::string* err = nullptr) const {
    std::string array = "'" + ctl_ + "'";
    for (const auto& w : words) array += " '" + w + "'";
    const auto err_file = (dir_ / "stderr").string();
    std::string out;
    const int rc = sh(fmt::format("bash -c 'source {}; COMP_WORDS=({}); COMP_CWORD={}; _podnetctl; "
                                  "printf \"%s\\n\" \"${{COMPREPLY[@]}}\"' 2>{}",
                                  script_, escape(array), words.size(), err_file),
                      &out);
    EXPECT_EQ(rc, 0) << out;
    if (err) {
      std::ifstream f(err_file);
      *err = std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }
    Words got;
    for (const auto& l : lines_of(out))
      if (!l.empty()) got.insert(l);
    return got;
  }
  const std::string& script() const { return script_; }

 private:
  // Inside the single-quoted bash -c argument.
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out;
  }
  std::filesystem::path dir_;
  std::string script_;
  std::string ctl_ = build_path("apps/podnetctl/podnetctl");
};

bool contains(const Words& got, const Words& want) {
  return std::ranges::includes(got, want);
}
std::string show(const Words& w) {
  std::string out;
  for (const auto& x : w) out += x + " ";
  return out;
}

TEST(CompletionBash, CommandsAliasesFlagsAndValues) {
  Completion c;
  EXPECT_EQ(c.complete({"get", "po"}), (Words{"pods"}));
  auto top = c.complete({""});
  EXPECT_TRUE(contains(top, {"lab", "get", "create", "describe", "exec", "inspect", "graph",
                             "completion", "apply", "expose", "logs"}))
      << show(top);
  auto lab = c.complete({"lab", ""});
  EXPECT_TRUE(contains(lab, {"up", "status", "down"})) << show(lab);
  EXPECT_FALSE(lab.contains("kubelet")) << "hidden commands are not offered";
  auto flags = c.complete({"get", "pods", "-"});
  EXPECT_TRUE(contains(
      flags, {"-o", "--output", "-A", "--all-namespaces", "--lab", "-n", "--namespace", "--store"}))
      << show(flags);
  EXPECT_TRUE(contains(c.complete({"get", "po", "-o", ""}), {"json", "yaml", "name", "wide"}));
  EXPECT_EQ(c.complete({"graph", "-o", ""}), (Words{"svg", "dot"}));
  EXPECT_EQ(c.complete({"graph", "--output", "d"}), (Words{"dot"}));
  EXPECT_EQ(c.complete({"lab", "up", "--backend", "v"}), (Words{}));  // free text
  EXPECT_TRUE(contains(c.complete({"completion", ""}), {"bash"}));
  // After exec's --, a command.
  EXPECT_TRUE(c.complete({"exec", "--node", "lxb001", "--", "cur"}).contains("curl"));
  // No lab: no object names, and nothing printed over the user's prompt.
  std::string err;
  EXPECT_EQ(c.complete({"--lab", "grfnone", "inspect", "pod", ""}, &err), (Words{}));
  EXPECT_EQ(err, "");
}

TEST(CompletionBash, ScriptIsFromTheLiveCommandTree) {
  Completion c;
  // Every command `--help` lists at the top is in the script's table.
  std::string help;
  ASSERT_EQ(sh(build_path("apps/podnetctl/podnetctl") + " --help", &help), 0);
  std::ifstream f(c.script());
  const std::string script((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  bool in_commands = false;
  size_t seen = 0;
  for (const auto& line : lines_of(help)) {
    if (line.starts_with("Subcommands:")) {
      in_commands = true;
      continue;
    }
    const auto w = words_of(line);
    if (!in_commands || w.empty()) continue;
    EXPECT_NE(script.find("['podnetctl " + w[0] + "']"), std::string::npos) << w[0];
    ++seen;
  }
  EXPECT_GE(seen, 10u) << help;
  EXPECT_EQ(sh("bash -n " + c.script()), 0);
}

class CompletionLab : public LabTest {};

TEST_F(CompletionLab, LiveNamesOfPodsNodesDeploymentsAndServices) {
  auto up = ctl("lab up --nodes 2 --store sqlite --backend host-gw");
  ASSERT_EQ(up.rc, 0) << up.out;
  ASSERT_EQ(ctl("create deployment web --replicas 2").rc, 0);
  ASSERT_EQ(ctl("expose deployment web --port 80").rc, 0);
  Words pods;
  for (const auto& row : table("get pods"))
    if (!row.empty() && row[0] != "NAME") pods.insert(row[0]);
  ASSERT_EQ(pods.size(), 2u);

  Completion c;
  const std::vector<std::string> lab = {"--lab", lab_};
  auto with_lab = [&](std::vector<std::string> words) {
    words.insert(words.begin(), lab.begin(), lab.end());
    return c.complete(words);
  };
  EXPECT_EQ(with_lab({"inspect", "pod", ""}), pods);
  EXPECT_EQ(with_lab({"get", "po", "w"}), pods);
  EXPECT_EQ(with_lab({"logs", ""}), pods);
  EXPECT_EQ(with_lab({"exec", ""}), pods);
  EXPECT_EQ(with_lab({"get", "nodes", ""}), (Words{"lxb001", "lxb002"}));
  EXPECT_EQ(with_lab({"exec", "--node", ""}), (Words{"lxb001", "lxb002"}));
  EXPECT_EQ(with_lab({"get", "deploy", ""}), (Words{"web"}));
  EXPECT_EQ(with_lab({"scale", "deployment", ""}), (Words{"web"}));
  EXPECT_EQ(with_lab({"get", "svc", ""}), (Words{"web"}));
  EXPECT_EQ(with_lab({"describe", "service", "w"}), (Words{"web"}));
  // --lab after the command works too, and so does -n of another namespace (no pods there).
  EXPECT_EQ(c.complete({"inspect", "pod", "--lab", lab_, ""}), pods);
  EXPECT_EQ(with_lab({"-n", "other", "inspect", "pod", ""}), (Words{}));
  // --lab's value: the running labs.
  EXPECT_TRUE(c.complete({"--lab", ""}).contains(lab_));
}

}  // namespace
}  // namespace podnet::testing
