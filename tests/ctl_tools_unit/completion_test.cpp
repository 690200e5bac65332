#include <gtest/gtest.h>

#include "core/completion.hpp"

namespace podnet::ctl {
namespace {

// A tree shaped like podnetctl's: global options, parents with subcommands and aliases, a
// hidden command, value flags with fixed words, object names, files.
struct Cli {
  CLI::App app{"test"};
  std::string s;
  std::vector<std::string> v;
  bool b = false;
  Cli() {
    app.add_option("--lab", s, "lab");
    app.add_option("--store", s, "store");
    app.add_option("-n,--namespace", s, "ns");
    app.set_version_flag("--version", "1");
    auto* get = app.add_subcommand("get", "list");
    auto* pods = get->add_subcommand("pods", "pods")->alias("pod")->alias("po");
    pods->add_option("-o,--output", s, "fmt")->check(CLI::IsMember({"wide", "json", "name"}));
    pods->add_flag("-A,--all-namespaces", b, "all");
    pods->add_option("NAME", v, "names");
    get->add_subcommand("nodes", "nodes")->alias("node")->add_option("NAME", v, "names");
    auto* create = app.add_subcommand("create", "create");
    create->add_subcommand("deployment", "d")->add_option("NAME", s, "name");
    auto* describe = app.add_subcommand("describe", "describe");
    describe->add_subcommand("service", "s")->add_option("NAME", v, "names");
    auto* exec = app.add_subcommand("exec", "exec");
    exec->add_option("--node", s, "node");
    exec->add_flag("--ext", b, "ext");
    exec->add_option("pod", s, "pod");
    auto* lab = app.add_subcommand("lab", "lab");
    auto* up = lab->add_subcommand("up", "up");
    up->add_option("--store", s, "sqlite or etcd");
    lab->add_subcommand("kubelet", "hidden")->group("");
    app.add_subcommand("apply", "apply")->add_option("-f,--filename", s, "file");
    auto* graph = app.add_subcommand("graph", "graph");
    graph->add_option("-o,--output", s, "svg or dot")->check(CLI::IsMember({"svg", "dot"}));
    graph->add_option("FILE", s, "file");
  }
};

const CompletionCommand* find(const std::vector<CompletionCommand>& tree,
                              std::vector<std::string> path) {
  for (const auto& c : tree)
    if (c.path == path) return &c;
  return nullptr;
}

TEST(CtlCompletion, TreeHasEveryVisibleCommandWithItsFlagsAndArguments) {
  Cli cli;
  const auto tree = completion_tree(cli.app, "/run/podnet-lab");
  const auto* root = find(tree, {});
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->subcommands, (std::vector<std::string>{"get", "create", "describe", "exec", "lab",
                                                         "apply", "graph"}));
  for (const auto* f : {"--lab", "--store", "-n", "--namespace", "-h", "--help", "--version"})
    EXPECT_NE(std::ranges::find(root->flags, f), root->flags.end()) << f;
  EXPECT_EQ(root->values.at("--lab"), "d:/run/podnet-lab");
  EXPECT_EQ(root->values.at("-n"), "");
  EXPECT_FALSE(root->values.contains("--version"));  // a flag, no value

  const auto* get = find(tree, {"get"});
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->aliases.at("po"), "pods");
  EXPECT_EQ(get->aliases.at("pod"), "pods");
  EXPECT_EQ(get->aliases.at("pods"), "pods");
  EXPECT_EQ(get->aliases.at("node"), "nodes");
  // -h/--help is the root's: not repeated below.
  EXPECT_EQ(std::ranges::find(get->flags, "--help"), get->flags.end());

  const auto* pods = find(tree, {"get", "pods"});
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->flags, (std::vector<std::string>{"-o", "--output", "-A", "--all-namespaces"}));
  EXPECT_EQ(pods->values.at("-o"), "w:wide json name");
  EXPECT_EQ(pods->values.at("--output"), "w:wide json name");
  EXPECT_FALSE(pods->values.contains("-A"));
  EXPECT_EQ(pods->arguments, "o:pods");
  EXPECT_EQ(find(tree, {"get", "nodes"})->arguments, "o:nodes");
  EXPECT_EQ(find(tree, {"describe", "service"})->arguments, "o:services");
  EXPECT_EQ(find(tree, {"create", "deployment"})->arguments, "");  // a new name
  EXPECT_EQ(find(tree, {"exec"})->arguments, "o:pods");
  EXPECT_EQ(find(tree, {"exec"})->values.at("--node"), "o:nodes");
  EXPECT_EQ(find(tree, {"lab", "up"})->values.at("--store"), "");
  EXPECT_EQ(find(tree, {"apply"})->values.at("-f"), "f");
  EXPECT_EQ(find(tree, {"graph"})->arguments, "f");
  EXPECT_EQ(find(tree, {"graph"})->values.at("-o"), "w:svg dot");
  EXPECT_EQ(find(tree, {"lab", "kubelet"}), nullptr);  // hidden
  EXPECT_EQ(find(tree, {"lab"})->subcommands, (std::vector<std::string>{"up"}));
}

TEST(CtlCompletion, ScriptCarriesEveryCommandAndFlag) {
  Cli cli;
  const auto tree = completion_tree(cli.app, "/run/podnet-lab");
  const auto script = bash_script(tree, "podnetctl");
  auto has = [&](const std::string& part) { return script.find(part) != std::string::npos; };
  for (const auto& c : tree) {
    std::string key = "podnetctl";
    for (const auto& p : c.path) key += " " + p;
    for (const auto& [name, canonical] : c.aliases)
      EXPECT_TRUE(has("['" + key + " " + name + "']='" + canonical + "'")) << key << " " << name;
    for (const auto& f : c.flags) EXPECT_TRUE(has(f)) << key << " " << f;
    for (const auto& [flag, spec] : c.values)
      EXPECT_TRUE(has("['" + key + " " + flag + "']='" + spec + "'")) << key << " " << flag;
  }
  EXPECT_TRUE(has("['podnetctl']='get create describe exec lab apply graph'")) << script;
  EXPECT_TRUE(has("['podnetctl get pods']='-o --output -A --all-namespaces'")) << script;
  EXPECT_TRUE(has("['podnetctl get pods']='o:pods'")) << script;
  EXPECT_TRUE(has("complete -F _podnetctl podnetctl\n")) << script;
  EXPECT_TRUE(has("declare -gA _podnetctl_subs=(")) << script;
  EXPECT_FALSE(has("kubelet")) << script;
  // Live names: `get KIND -o name`, else the first column of the table.
  EXPECT_TRUE(has("get \"${1#o:}\" -o name")) << script;
  EXPECT_TRUE(has("awk 'NR > 1 { print $1 }'")) << script;
}

TEST(CtlCompletion, QuotesAreSafeForBash) {
  CLI::App app{"q"};
  std::string s;
  app.add_subcommand("it's", "a quote");
  const auto script = bash_script(completion_tree(app, "/tmp"), "podnetctl");
  EXPECT_NE(script.find("['podnetctl']='it'\\''s'"), std::string::npos) << script;
}

}  // namespace
}  // namespace podnet::ctl
