#include "podnet/nft/masq_table.hpp"

#include <nlohmann/json.hpp>

namespace podnet::nft {

using nlohmann::json;

namespace {

// Renders one element value of libnftables' JSON schema back to nft syntax.
std::string render(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_object()) {
    if (auto c = v.find("concat"); c != v.end() && c->is_array()) {
      std::string out;
      for (const auto& part : *c) out += (out.empty() ? "" : " . ") + render(part);
      return out;
    }
    if (auto p = v.find("prefix"); p != v.end() && p->is_object())
      return fmt::format("{}/{}", render(p->value("addr", json(""))), p->value("len", 0));
    if (auto r = v.find("range"); r != v.end() && r->is_array() && r->size() == 2)
      return fmt::format("{}-{}", render((*r)[0]), render((*r)[1]));
  }
  return {};
}

bool is_missing(const Error& e) { return e.sys_errno == ENOENT || e.message.find("No such file") != std::string::npos; }

}  // namespace

std::vector<TaggedElement> parse_listed_elements(std::string_view json_text) {
  std::vector<TaggedElement> out;
  // Several list commands print several documents back to back; parse each.
  size_t pos = 0;
  while (pos < json_text.size()) {
    auto start = json_text.find('{', pos);
    if (start == std::string_view::npos) break;
    // Find the matching end by letting the parser consume one value.
    size_t depth = 0, end = start;
    bool in_str = false;
    for (; end < json_text.size(); ++end) {
      char c = json_text[end];
      if (in_str) {
        if (c == '\\') ++end;
        else if (c == '"') in_str = false;
        continue;
      }
      if (c == '"') in_str = true;
      else if (c == '{') ++depth;
      else if (c == '}' && --depth == 0) break;
    }
    auto doc = json::parse(json_text.substr(start, end + 1 - start), nullptr, false);
    pos = end + 1;
    if (!doc.is_object() || !doc.contains("nftables")) continue;
    for (const auto& item : doc["nftables"]) {
      if (!item.contains("set")) continue;
      const auto& set = item["set"];
      std::string name = set.value("name", "");
      if (!set.contains("elem")) continue;
      for (const auto& el : set["elem"]) {
        TaggedElement t;
        t.set = name;
        if (el.is_object() && el.contains("elem")) {
          t.element = render(el["elem"].value("val", json()));
          t.tag = el["elem"].value("comment", "");
        } else {
          t.element = render(el);
        }
        if (!t.element.empty()) out.push_back(std::move(t));
      }
    }
  }
  return out;
}

Result<MasqTable> MasqTable::open() {
  auto text = PODNET_TRY(NftContext::create(false));
  auto js = PODNET_TRY(NftContext::create(true));
  return MasqTable(std::move(text), std::move(js));
}

Result<> MasqTable::add(const std::vector<MasqEntry>& entries, std::string_view tag) {
  if (entries.empty()) return {};
  auto r = text_.run(masq_base_commands() + masq_add_elements(entries, tag));
  if (!r) return fail(r.error().context(fmt::format("add masquerade for {}", tag)));
  return {};
}

Result<> MasqTable::remove(const std::vector<MasqEntry>& entries, std::string_view tag) {
  if (!entries.empty()) {
    auto r = text_.run(masq_delete_elements(entries));
    if (r) return {};
    // Some element or the table is gone already: clean up whatever carries the tag.
  }
  std::string t(tag);
  auto n = remove_if([&](const std::string& x) { return x == t; });
  if (!n) return fail(n.error());
  return {};
}

Result<int> MasqTable::remove_if(const std::function<bool(const std::string&)>& doomed) {
  auto listed = json_.run(masq_list_sets());
  if (!listed) {
    if (is_missing(listed.error())) return 0;  // no table: nothing of ours to remove
    return fail(listed.error().context("list masquerade sets"));
  }
  std::string cmds;
  int count = 0;
  for (const auto& e : parse_listed_elements(*listed)) {
    if (!doomed(e.tag)) continue;
    cmds += fmt::format("delete element inet {} {} {{ {} }}\n", kMasqTable, e.set, e.element);
    ++count;
  }
  if (cmds.empty()) return 0;
  auto r = text_.run(cmds);
  if (!r) return fail(r.error().context("delete masquerade elements"));
  return count;
}

}  // namespace podnet::nft
