#include "prefix_mirror.hpp"

namespace podnet::agent {

using namespace std::chrono_literals;

Result<> PrefixMirror::relist() {
  watcher_.reset();
  ++relists_;
  auto l = PODNET_TRY(store_.list(prefix_));
  std::map<std::string, std::string> now;
  for (auto& kv : l.items) now.emplace(std::move(kv.key), std::move(kv.value));
  for (const auto& [k, v] : values_)
    if (!now.contains(k)) on_change_(k, nullptr);
  for (const auto& [k, v] : now) {
    auto it = values_.find(k);
    if (it == values_.end() || it->second != v) on_change_(k, &v);
  }
  values_ = std::move(now);
  watcher_ = PODNET_TRY(store_.watch(prefix_, l.revision));
  return {};
}

Result<> PrefixMirror::poll() {
  if (!watcher_) return relist();
  auto r = watcher_->next(0ms);
  if (!r) {
    watcher_.reset();
    return fail(r.error().context("watch " + prefix_));
  }
  if (r->compacted) return relist();
  for (auto& ev : r->events) {
    if (ev.type == store::Event::Type::put) {
      auto& v = values_[ev.kv.key];
      v = std::move(ev.kv.value);
      on_change_(ev.kv.key, &v);
    } else if (values_.erase(ev.kv.key)) {
      on_change_(ev.kv.key, nullptr);
    }
  }
  return {};
}

}  // namespace podnet::agent
