#pragma once
// `get ... -w`: after the table, one line per change from a store watch until SIGINT or
// SIGTERM (exit 0, as kubectl's watch ends on Ctrl-C). Works on every store backend.
#include <functional>
#include <string_view>

#include "podnet/common/error.hpp"
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

}  // namespace podnet::ctl
