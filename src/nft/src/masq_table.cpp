#include "podnet/nft/masq_table.hpp"

#include "podnet/nft/nft_context.hpp"

namespace podnet::nft {

namespace {
const std::string kTable(kMasqTable);
}

Result<MasqTable> MasqTable::open() {
  auto c = SetElementClient::open();
  if (!c) return fail(c.error().context("nftables"));
  return MasqTable(std::move(*c));
}

Result<> MasqTable::ensure_table() {
  auto ctx = PODNET_TRY(NftContext::create());
  auto r = ctx.run(masq_base_commands());
  if (!r) return fail(r.error().context(fmt::format("create nftables table {}", kTable)));
  return {};
}

Result<> MasqTable::add(const std::vector<MasqEntry>& entries, std::string_view tag) {
  if (entries.empty()) return {};
  auto elems = masq_elements(entries, tag);
  auto r = client_.add(kMasqFamily, kTable, elems);
  if (!r && r.error().sys_errno == ENOENT) {
    // First pod with ipMasq on this node (or someone removed the table): create, then retry.
    PODNET_TRY_VOID(ensure_table());
    r = client_.add(kMasqFamily, kTable, elems);
  }
  if (!r) return fail(r.error().context(fmt::format("add masquerade for {}", tag)));
  return {};
}

Result<> MasqTable::remove(const std::vector<MasqEntry>& entries, std::string_view tag) {
  if (!entries.empty() && client_.remove(kMasqFamily, kTable, masq_elements(entries, tag))) return {};
  // Unknown entries, or some already gone: remove whatever carries the tag.
  std::string t(tag);
  auto n = remove_if([&](const std::string& x) { return x == t; });
  if (!n) return fail(n.error());
  return {};
}

Result<std::vector<SetElement>> MasqTable::list() {
  std::vector<SetElement> all;
  for (const auto& set : masq_set_names()) {
    auto elems = client_.list(kMasqFamily, kTable, set);
    if (!elems) {
      if (elems.error().sys_errno == ENOENT) continue;  // no table or set: nothing of ours
      return fail(elems.error());
    }
    all.insert(all.end(), elems->begin(), elems->end());
  }
  return all;
}

Result<int> MasqTable::remove_if(const std::function<bool(const std::string&)>& doomed) {
  auto all = PODNET_TRY(list());
  std::vector<SetElement> gone;
  for (auto& e : all)
    if (doomed(e.comment)) gone.push_back(std::move(e));
  if (gone.empty()) return 0;
  auto r = client_.remove(kMasqFamily, kTable, gone);
  if (!r) return fail(r.error().context("delete masquerade elements"));
  return static_cast<int>(gone.size());
}

}  // namespace podnet::nft
