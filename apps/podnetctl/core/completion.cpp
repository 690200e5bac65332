#include "completion.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace podnet::ctl {

namespace {

// Commands whose positional arguments name existing objects of a kind (their own name or the
// command's): `get pods NAME`, `describe pod NAME`, `exec POD`, `logs POD`, `trace FROM TO`.
std::string object_kind(std::string_view command) {
  static const std::map<std::string_view, std::string_view> kinds = {
      {"pods", "pods"},
      {"pod", "pods"},
      {"exec", "pods"},
      {"logs", "pods"},
      {"trace", "pods"},
      {"nodes", "nodes"},
      {"node", "nodes"},
      {"deployments", "deployments"},
      {"deployment", "deployments"},
      {"services", "services"},
      {"service", "services"},
      {"endpoints", "services"},
  };
  auto it = kinds.find(command);
  return it == kinds.end() ? std::string() : std::string(it->second);
}

// A CLI::IsMember check shows in the type name as "TEXT:{json,yaml,name}": its words.
std::vector<std::string> member_words(const std::string& type_name) {
  const auto open = type_name.find(":{");
  const auto close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> words;
  std::string word;
  for (char c : type_name.substr(open + 2, close - open - 2)) {
    if (c == ',') {
      words.push_back(word);
      word.clear();
    } else if (c != ' ') {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

bool has_name(const CLI::Option& o, std::string_view lname) {
  return std::ranges::find(o.get_lnames(), lname) != o.get_lnames().end();
}

CompletionSpec value_spec(const CLI::Option& o, std::string_view lab_dir) {
  if (auto words = member_words(o.get_type_name()); !words.empty()) {
    std::string spec = "w:";
    for (const auto& w : words) spec += (spec.size() > 2 ? " " : "") + w;
    return spec;
  }
  if (has_name(o, "node")) return "o:nodes";
  if (has_name(o, "lab")) return fmt::format("d:{}", lab_dir);
  if (has_name(o, "filename") || has_name(o, "file")) return "f";
  return "";
}

bool is_file_argument(const CLI::Option& o) {
  auto name = o.get_name(true);
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name == "file" || name == "filename";
}

void walk(const CLI::App& app, std::vector<std::string> path, std::set<std::string> inherited,
          std::string_view lab_dir, std::vector<CompletionCommand>& out) {
  CompletionCommand cmd;
  cmd.path = path;
  const std::string parent = path.size() >= 2 ? path[path.size() - 2] : "";
  for (const CLI::Option* o : app.get_options()) {
    if (o->nonpositional()) {
      for (const auto& s : o->get_snames())
        if (inherited.insert("-" + s).second) cmd.flags.push_back("-" + s);
      for (const auto& l : o->get_lnames())
        if (inherited.insert("--" + l).second) cmd.flags.push_back("--" + l);
      if (o->get_items_expected_max() != 0) {  // takes a value (a flag expects none)
        const auto spec = value_spec(*o, lab_dir);
        for (const auto& s : o->get_snames()) cmd.values["-" + s] = spec;
        for (const auto& l : o->get_lnames()) cmd.values["--" + l] = spec;
      }
    } else if (is_file_argument(*o)) {
      cmd.arguments = "f";
    } else if (parent != "create" && !path.empty()) {  // create names a new object
      if (auto kind = object_kind(path.back()); !kind.empty()) cmd.arguments = "o:" + kind;
    }
  }
  const auto subs = app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
  for (const CLI::App* sub : subs) {
    cmd.subcommands.push_back(sub->get_name());
    cmd.aliases[sub->get_name()] = sub->get_name();
    for (const auto& a : sub->get_aliases()) cmd.aliases[a] = sub->get_name();
  }
  out.push_back(std::move(cmd));
  for (const CLI::App* sub : subs) {
    auto child = path;
    child.push_back(sub->get_name());
    walk(*sub, child, inherited, lab_dir, out);
  }
}

// A bash single-quoted word.
std::string sq(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::vector<CompletionCommand> completion_tree(const CLI::App& root, std::string_view lab_dir) {
  std::vector<CompletionCommand> out;
  walk(root, {}, {}, lab_dir, out);
  return out;
}

std::string bash_script(const std::vector<CompletionCommand>& tree, std::string_view prog) {
  // Functions and tables are named after the program: "podnetctl" -> _podnetctl.
  std::string fn = "_";
  for (char c : prog) fn += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  auto key = [&](const CompletionCommand& c) {
    std::string k(prog);
    for (const auto& p : c.path) k += " " + p;
    return k;
  };
  std::string subs, names, flags, values, args;
  for (const auto& c : tree) {
    const auto k = key(c);
    if (!c.subcommands.empty())
      subs += fmt::format("  [{}]={}\n", sq(k), sq(joined(c.subcommands)));
    for (const auto& [name, canonical] : c.aliases)
      names += fmt::format("  [{}]={}\n", sq(k + " " + name), sq(canonical));
    if (!c.flags.empty()) flags += fmt::format("  [{}]={}\n", sq(k), sq(joined(c.flags)));
    for (const auto& [flag, spec] : c.values)
      values += fmt::format("  [{}]={}\n", sq(k + " " + flag), sq(spec));
    if (!c.arguments.empty()) args += fmt::format("  [{}]={}\n", sq(k), sq(c.arguments));
  }
  std::string s;
  s += fmt::format(
      "# bash completion for {0}, generated from its command tree by `{0} completion bash`.\n"
      "#   source <({0} completion bash)                            # this shell\n"
      "#   {0} completion bash > /etc/bash_completion.d/{0}   # every new shell\n"
      "# Object names (pods, nodes, deployments, services) are asked of {0} at TAB time.\n",
      prog);
  s += "declare -gA " + fn + "_subs=(\n" + subs + ")\n";
  s += "# every command name and alias under its parent -> the command's name\n";
  s += "declare -gA " + fn + "_names=(\n" + names + ")\n";
  s += "declare -gA " + fn + "_flags=(\n" + flags + ")\n";
  s += "# flags that take a value -> what it completes to: w:WORDS, o:KIND (objects), f (files),\n";
  s += "# d:DIR (its entries), '' (nothing)\n";
  s += "declare -gA " + fn + "_values=(\n" + values + ")\n";
  s += "# commands whose arguments complete (same specs)\n";
  s += "declare -gA " + fn + "_args=(\n" + args + ")\n";
  s += fmt::format(R"BASH(
# The key of flag $2 at command $1 or its nearest parent that has it: in {0}_key.
{0}_value_key() {{
  local path=$1
  while :; do
    if [[ -n ${{{0}_values["$path $2"]+set}} ]]; then {0}_key="$path $2"; return 0; fi
    [[ $path == *" "* ]] || return 1
    path=${{path% *}}
  done
}}

# The candidates of a spec, one a line (not f: compgen does files).
{0}_candidates() {{
  local out
  case $1 in
    w:*) printf '%s\n' ${{1#w:}} ;;
    o:*)
      if out=$("${0}_ctl" "${{{0}_scope[@]}}" get "${{1#o:}}" -o name 2>/dev/null); then
        printf '%s\n' "$out" | sed 's|.*/||'
      else
        "${0}_ctl" "${{{0}_scope[@]}}" get "${{1#o:}}" 2>/dev/null | awk 'NR > 1 {{ print $1 }}'
      fi ;;
    d:*) ls -1 "${{1#d:}}" 2>/dev/null ;;
  esac
}}

{0}_complete_spec() {{
  if [[ $1 == f ]]; then
    COMPREPLY+=($(compgen -f -- "$2"))
  elif [[ -n $1 ]]; then
    COMPREPLY+=($(compgen -W "$({0}_candidates "$1")" -- "$2"))
  fi
}}

{0}() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local path={1} w flag canon i {0}_key
  local {0}_ctl=${{COMP_WORDS[0]}}
  local -a {0}_scope=()  # --lab, --store, -n given so far: the object lookups use them
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${{COMP_WORDS[i]}}
    if [[ $w == -- ]]; then  # exec ... -- COMMAND ARGS: a command, then its files
      if ((i == COMP_CWORD - 1)); then COMPREPLY=($(compgen -c -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
      return 0
    fi
    if [[ $w == -* ]]; then
      flag=${{w%%=*}}
      {0}_value_key "$path" "$flag" || continue
      if [[ $w == *=* ]]; then
        [[ ${0}_key == "{1} $flag" ]] && {0}_scope+=("$w")
        continue
      fi
      ((i++))
      [[ ${{COMP_WORDS[i]}} == = ]] && ((i++))  # bash splits --lab=x at the "="
      [[ ${0}_key == "{1} $flag" ]] && ((i < COMP_CWORD)) && {0}_scope+=("$flag" "${{COMP_WORDS[i]}}")
      continue
    fi
    canon=${{{0}_names["$path $w"]}}
    [[ -n $canon ]] && path+=" $canon"
  done
  if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]]; then prev=${{COMP_WORDS[COMP_CWORD-2]}}; fi
  if [[ $prev == -* ]] && {0}_value_key "$path" "$prev"; then
    {0}_complete_spec "${{{0}_values[${0}_key]}}" "$cur"
    return 0
  fi
  if [[ $cur == -* ]]; then
    local flags= p=$path
    while :; do
      flags+=" ${{{0}_flags[$p]}}"
      [[ $p == *" "* ]] || break
      p=${{p% *}}
    done
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "${{{0}_subs[$path]}}" -- "$cur"))
  {0}_complete_spec "${{{0}_args[$path]}}" "$cur"
  return 0
}}
complete -F {0} {1}
)BASH",
                   fn, prog);
  return s;
}

}  // namespace podnet::ctl
