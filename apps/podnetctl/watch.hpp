#pragma once
// `get ... -w`: after the table, one line per change from a store watch until SIGINT or
// SIGTERM (exit 0, as kubectl's watch ends on Ctrl-C). Works on every store backend.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/store/store.hpp"

namespace podnet::ctl {

// SIGINT and SIGTERM blocked and readable on a signalfd. Make it before opening the store:
// threads the store starts (etcd's watch stream) inherit the mask, so no thread takes the
// signal's default action.
class StopSignals {
 public:
  StopSignals();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// Calls `on_event` for each change under `prefix` after revision `after`, until a stop signal.
// A watch that falls behind compaction starts again from the store's present revision.
Result<> follow(store::Store& s, const StopSignals& stop, std::string_view prefix,
                store::Revision after, const std::function<void(const store::Event&)>& on_event);

// The objects a `get -w` follows, by store key, so that a deletion can print the object's last
// row. `names`: only these (all when empty).
template <typename T>
class Followed {
 public:
  using Parse = Result<T> (*)(const nlohmann::json&);
  Followed(Parse parse, std::vector<std::string> names) : parse_(parse), names_(std::move(names)) {}
  void remember(const std::string& key, const T& obj) { last_[key] = obj; }
  // The object a change is about: the new value (put), or the last known one (`deleted` set);
  // nullopt for what does not parse, was never seen, or is not one of the names.
  std::optional<T> apply(const store::Event& ev, bool& deleted) {
    std::optional<T> obj;
    deleted = ev.type == store::Event::Type::del;
    if (!deleted) {
      auto j = parse_json_bounded(ev.kv.value, json_default_max_depth, json_default_max_bytes,
                                  ev.kv.key);
      auto o = j ? parse_(*j) : std::unexpected(j.error());
      if (o) obj = last_[ev.kv.key] = std::move(*o);
    } else if (auto it = last_.find(ev.kv.key); it != last_.end()) {
      obj = std::move(it->second);
      last_.erase(it);
    }
    if (obj && !names_.empty() &&
        std::find(names_.begin(), names_.end(), obj->name) == names_.end())
      return std::nullopt;
    return obj;
  }

 private:
  Parse parse_;
  std::vector<std::string> names_;
  std::map<std::string, T> last_;
};

}  // namespace podnet::ctl
