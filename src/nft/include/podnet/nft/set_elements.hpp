#pragma once
// Set elements through libnftnl + libmnl: the hot path of the CNI plugin (add/remove a pod's
// masquerade entries, list them for DEL without prevResult and for GC). One batch is one
// transaction. No libnftables here: its parser, cache and ~3000 dynamic relocations cost more
// than the whole rest of an ADD.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podnet/common/error.hpp"

struct mnl_socket;

namespace podnet::nft {

class EncodedBatch;

struct SetElement {
  std::string set;                 // set name within the table
  std::vector<uint8_t> key;        // network-order key (concatenations padded to 4 bytes each)
  std::vector<uint8_t> key_end;    // for interval sets of concatenations; empty otherwise
  std::string comment;             // stored as nft's element comment (userdata)
  std::vector<uint8_t> data;       // maps: network-order data (concatenations padded to 4 bytes)
  std::optional<int32_t> verdict;  // verdict maps: NF_DROP, NFT_GOTO, NFT_JUMP ...
  std::string chain;               // verdict maps: target of goto/jump
  friend bool operator==(const SetElement&, const SetElement&) = default;
};

// Element changes for one table, sent as one transaction: the sets in `flush` are emptied
// first, then `remove` is deleted, then `add` is added (so a key may move to new data).
struct ElementBatch {
  std::vector<std::string> flush;
  std::vector<SetElement> remove, add;
  bool empty() const { return flush.empty() && remove.empty() && add.empty(); }
};

class SetElementClient {
 public:
  // A netfilter netlink socket in the caller's network namespace.
  static Result<SetElementClient> open();
  SetElementClient(SetElementClient&&) noexcept;
  SetElementClient& operator=(SetElementClient&&) noexcept;
  ~SetElementClient();

  // All elements in one transaction. sys_errno ENOENT: table or set missing; EEXIST: present.
  Result<> add(uint16_t family, const std::string& table, const std::vector<SetElement>& elems);
  Result<> remove(uint16_t family, const std::string& table, const std::vector<SetElement>& elems);
  // Any number of elements: messages are split to fit netlink attribute limits, and the
  // whole batch still commits or fails as one.
  Result<> apply(uint16_t family, const std::string& table, const ElementBatch& batch);
  // An encoded batch (element_batch.hpp) as one transaction; numbers its messages.
  Result<> send(EncodedBatch& batch);
  // One element by key (data/verdict filled in); nullopt when absent.
  Result<std::optional<SetElement>> get(uint16_t family, const std::string& table,
                                        const SetElement& key);
  // Every element of a set (key, key_end, comment). ENOENT when the set does not exist.
  Result<std::vector<SetElement>> list(uint16_t family, const std::string& table,
                                       const std::string& set);

 private:
  explicit SetElementClient(mnl_socket* s);
  Result<> transact(bool add, uint16_t family, const std::string& table,
                    const std::vector<SetElement>& elems);
  mnl_socket* sock_ = nullptr;
  uint32_t seq_ = 0;
};

}  // namespace podnet::nft
