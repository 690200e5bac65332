#pragma once
// Set-element changes of one table encoded straight into nf_tables netlink messages (pure: no
// socket here; SetElementClient::send sends one as a single transaction). An element costs its
// encoded bytes (a few dozen) and nothing else: no per-element object or heap allocation, which
// is what a full sync of tens of thousands of Services used to spend most of its time and peak
// memory on.
//
// Messages are kept per (operation, set): a stream of NEWSETELEM or DELSETELEM messages of one
// set, each message below the 16-bit length of its element list, in chunks that grow to 1 MiB
// (the large ones mapped directly, so a freed batch goes back to the OS at once). The batch is
// sent as flushes first, then removals, then additions, each set's in the order given: a key
// may move to new data in one transaction.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "podnet/nft/set_elements.hpp"

struct nlmsghdr;

namespace podnet::nft {

// One element as the encoder takes it: views only, valid during the call.
struct ElementView {
  std::span<const uint8_t> key;
  std::span<const uint8_t> key_end;  // interval sets of concatenations; empty otherwise
  std::span<const uint8_t> data;     // maps: network-order data
  std::optional<int32_t> verdict;    // verdict maps: NF_DROP, NFT_GOTO, NFT_JUMP ...
  std::string_view chain;            // verdict maps: target of goto/jump
  std::string_view comment;          // stored as nft's element comment (userdata)
  static ElementView of(const SetElement& e);
};

class EncodedBatch {
 public:
  EncodedBatch(uint16_t family, std::string_view table);
  EncodedBatch(EncodedBatch&&) noexcept;
  EncodedBatch& operator=(EncodedBatch&&) noexcept;
  ~EncodedBatch();

  // Empties the set (a DELSETELEM without elements), before any removal or addition.
  void flush(std::string_view set);
  void add(std::string_view set, const ElementView& e);
  void remove(std::string_view set, const ElementView& e);
  void add(const SetElement& e) { add(e.set, ElementView::of(e)); }
  void remove(const SetElement& e) { remove(e.set, ElementView::of(e)); }

  bool empty() const { return streams_.empty(); }
  size_t elements() const { return elements_; }
  size_t messages() const;
  size_t bytes() const;  // encoded size of all messages
  uint16_t family() const { return family_; }
  const std::string& table() const { return table_; }

  // Sending: the messages in order, numbered first_seq, first_seq + 1, ... (returns how many),
  // and the byte ranges holding them, in that order.
  size_t number(uint32_t first_seq);
  std::vector<std::span<const uint8_t>> pieces() const;
  // The set of the i-th message (an error names it).
  std::string_view set_of(size_t message) const;

  // The changes as plain elements (tests, diagnostics): what the kernel would be told.
  ElementBatch decode() const;

 private:
  struct Stream;
  Stream& stream(int phase, std::string_view set);
  void put(int phase, std::string_view set, const ElementView& e);
  template <class F>
  void each_message(F&& f) const;

  uint16_t family_;
  std::string table_;
  std::vector<std::unique_ptr<Stream>> streams_;
  Stream* last_ = nullptr;
  size_t elements_ = 0;
};

}  // namespace podnet::nft
