#pragma once
// A local copy of every key under one store prefix, kept current by a watch: list, then watch
// from the listing's revision; a watch error or compaction lists again. The agent's parts that
// follow store objects (services, pods) each own one and parse what changed.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::agent {

class PrefixMirror {
 public:
  // A put (value set) or a delete (value null) of one key, as it reaches the mirror. After a
  // relist, every key is reported again (puts for what exists, deletes for what vanished).
  using OnChange = std::function<void(const std::string& key, const std::string* value)>;

  PrefixMirror(store::Store& s, std::string prefix, OnChange on_change)
      : store_(s), prefix_(std::move(prefix)), on_change_(std::move(on_change)) {}

  // Lists (first time, after errors and compaction) or takes what the watch has. Returns
  // whether the mirror is current (false: the store failed; the last copy stays).
  Result<> poll();
  bool synced() const { return watcher_ != nullptr; }
  // Readable when poll() may have news (-1 before the first listing).
  int fd() const { return watcher_ ? watcher_->fd() : -1; }
  size_t size() const { return values_.size(); }
  uint64_t relists() const { return relists_; }

 private:
  Result<> relist();
  store::Store& store_;
  std::string prefix_;
  OnChange on_change_;
  std::map<std::string, std::string> values_;
  std::unique_ptr<store::Watcher> watcher_;
  uint64_t relists_ = 0;
};

}  // namespace podnet::agent
