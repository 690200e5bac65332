#pragma once
// Applies the masquerade plan to the kernel in the caller's network namespace.
#include <functional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"
#include "podnet/nft/masq_plan.hpp"
#include "podnet/nft/nft_context.hpp"

namespace podnet::nft {

struct TaggedElement {
  std::string set;      // e.g. "masq-v4"
  std::string element;  // nft element text, e.g. "10.22.0.5 . 10.22.0.0/16"
  std::string tag;      // its comment
};

// Parses the JSON of `list set` output into elements with their comments (pure).
std::vector<TaggedElement> parse_listed_elements(std::string_view json_text);

class MasqTable {
 public:
  static Result<MasqTable> open();

  // Ensures table, sets and rules, and adds the entries: one transaction.
  Result<> add(const std::vector<MasqEntry>& entries, std::string_view tag);
  // Removes entries known from a previous result; falls back to removing by tag when they
  // are not all present. Missing table or elements are not errors (DEL is idempotent).
  Result<> remove(const std::vector<MasqEntry>& entries, std::string_view tag);
  // Removes every element whose tag satisfies `doomed`; returns how many.
  Result<int> remove_if(const std::function<bool(const std::string& tag)>& doomed);

 private:
  MasqTable(NftContext text, NftContext json) : text_(std::move(text)), json_(std::move(json)) {}
  NftContext text_;
  NftContext json_;
};

}  // namespace podnet::nft
