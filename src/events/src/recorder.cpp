#include "podnet/events/recorder.hpp"

#include <algorithm>
#include <ctime>

#include "podnet/common/json_bounded.hpp"
#include "podnet/common/log.hpp"

namespace podnet::events {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kKnownLimit = 512;   // remembered keys; beyond, forget them all (a read each)
constexpr int kWriteAttempts = 5;     // create / compare-and-swap rounds against other writers
constexpr size_t kDeleteBatch = 128;  // deletes per transaction (etcd's default max-txn-ops)

std::optional<cluster::Event> parse_event(const store::KeyValue& kv) {
  auto j = parse_json_bounded(kv.value, json_default_max_depth, json_default_max_bytes, kv.key);
  if (!j) return std::nullopt;
  auto e = cluster::event_from_json(*j);
  if (!e) return std::nullopt;
  return std::move(*e);
}

}  // namespace

std::optional<cluster::StoredEvent> parse_stored_event(const store::KeyValue& kv) {
  auto e = parse_event(kv);
  if (!e) return std::nullopt;
  return cluster::StoredEvent{std::move(*e), kv.key, kv.mod_revision};
}

Result<std::vector<cluster::StoredEvent>> list_events(store::Store& s, std::string_view ns,
                                                      store::Revision* revision) {
  auto list = PODNET_TRY(
      s.list(ns.empty() ? std::string(cluster::events_prefix) : cluster::events_ns_prefix(ns)));
  if (revision) *revision = list.revision;
  std::vector<cluster::StoredEvent> out;
  out.reserve(list.items.size());
  for (const auto& kv : list.items)
    if (auto e = parse_stored_event(kv)) out.push_back(std::move(*e));
  cluster::sort_by_last_seen(out);
  return out;
}

Recorder::Recorder(store::Store& store, cluster::EventSource source, RecorderOptions opt)
    : store_(store), source_(std::move(source)), opt_(opt) {
  thread_ = std::thread([this] { loop(); });
}

Recorder::~Recorder() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Recorder::record(const cluster::ObjectRef& obj, cluster::EventType type, std::string reason,
                      std::string message) {
  const int64_t now = int64_t(std::time(nullptr));
  cluster::Event e{.involved = obj,
                   .type = type,
                   .reason = std::move(reason),
                   .message = std::move(message),
                   .source = source_,
                   .count = 1,
                   .first = now,
                   .last = now};
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    if (queue_.size() >= opt_.queue_limit) {
      queue_.pop_front();  // the oldest goes: recent events say more
      ++finished_;
      ++dropped_queue_;
    }
    queue_.push_back(std::move(e));
    ++queued_;
  }
  cv_.notify_one();
}

bool Recorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const uint64_t gen = ++flush_asked_;
  cv_.notify_one();
  return done_cv_.wait_for(lk, timeout, [&] { return flush_done_ >= gen; });
}

void Recorder::loop() {
  std::unique_lock lk(mu_);
  std::optional<Clock::time_point> give_up_at;  // set once stopping: the drain's deadline
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty() || flush_asked_ > flush_done_; });
    if (stop_ && !give_up_at) give_up_at = Clock::now() + opt_.drain_on_stop;
    std::vector<cluster::Event> batch(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
    queue_.clear();
    const uint64_t flush_gen = flush_asked_;
    const bool stopping = stop_;
    const uint64_t queue_drops = std::exchange(dropped_queue_, 0);
    lk.unlock();

    if (queue_drops > 0)
      log::warn("events: {} event(s) dropped: more than {} waiting for the store", queue_drops,
                opt_.queue_limit);
    const size_t n = batch.size();
    for (const auto& e : cluster::coalesce(std::move(batch))) {
      if (give_up_at && Clock::now() > *give_up_at) {
        ++dropped_;
        continue;
      }
      write(e);
    }
    // A flush or the exit prunes what this recorder added, unless the store is failing (an
    // exit must not wait on it).
    const bool final_prune = (flush_gen > flush_done_ || stopping) && !(stopping && failing_);
    if (created_since_prune_ >= opt_.prune_every || (final_prune && created_since_prune_ > 0)) {
      if (auto r = prune(); !r)
        failed(r.error(), "prune");
      else
        created_since_prune_ = 0;
    }
    if (stopping && dropped_ > 0)
      log::warn("events: {} event(s) not recorded at exit (store unreachable)", dropped_);

    lk.lock();
    finished_ += n;
    flush_done_ = flush_gen;
    done_cv_.notify_all();
    if (stopping && queue_.empty()) return;
  }
}

void Recorder::failed(const Error& e, std::string_view what) {
  if (!failing_)
    log::warn("events: {}: {} (later failures are counted until the store answers again)", what,
              e.message);
  failing_ = true;
}

void Recorder::write(const cluster::Event& e) {
  if (auto r = write_once(e); !r) {
    failed(r.error(), "record " + cluster::event_key(e));
    ++dropped_;
    return;
  }
  if (failing_) {
    log::info("events: store answers again; {} event(s) were not recorded", dropped_);
    failing_ = false;
    dropped_ = 0;
  }
}

Result<> Recorder::write_once(const cluster::Event& e) {
  const std::string key = cluster::event_key(e);
  auto remember = [&](const cluster::Event& ev, store::Revision rev) {
    if (known_.size() >= kKnownLimit && !known_.contains(key)) known_.clear();
    known_.insert_or_assign(key, Known{ev, rev});
  };
  // A repeat of an event this recorder wrote: one compare-and-swap, no read.
  if (auto it = known_.find(key); it != known_.end()) {
    auto merged = cluster::merge_repeat(it->second.event, e);
    auto r = PODNET_TRY(
        store_.compare_and_swap(key, cluster::to_json(merged).dump(), it->second.mod_revision));
    if (r.succeeded) {
      it->second = Known{std::move(merged), r.revision};
      return {};
    }
    known_.erase(it);  // someone else wrote (or pruned) it: read it below
  }
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto c = PODNET_TRY(store_.create(key, cluster::to_json(e).dump()));
    if (c.succeeded) {
      remember(e, c.revision);
      ++created_since_prune_;
      return {};
    }
    if (!c.current) continue;  // deleted between the two looks: create again
    // Another process recorded it (or this one, before a restart): bump its count. A value that
    // does not parse is replaced.
    auto stored = parse_event(*c.current);
    cluster::Event merged = stored ? cluster::merge_repeat(*stored, e) : e;
    auto r = PODNET_TRY(
        store_.compare_and_swap(key, cluster::to_json(merged).dump(), c.current->mod_revision));
    if (r.succeeded) {
      remember(merged, r.revision);
      return {};
    }
  }
  return fail(ErrorKind::conflict,
              fmt::format("event {}: changed by others in each of {} tries", key, kWriteAttempts));
}

Result<> Recorder::prune() {
  auto list = PODNET_TRY(store_.list(cluster::events_prefix));
  std::vector<cluster::PruneCandidate> all;
  all.reserve(list.items.size());
  for (const auto& kv : list.items) {
    auto e = parse_event(kv);
    all.push_back({kv.key, e ? e->last : 0, kv.mod_revision});
  }
  auto doomed = cluster::plan_event_prune(std::move(all), opt_.bound);
  const size_t batch = std::max<size_t>(1, std::min(kDeleteBatch, store_.max_txn_ops()));
  for (size_t i = 0; i < doomed.size(); i += batch) {
    // Deleted only as listed: an event bumped meanwhile is recent again and stays.
    store::Txn txn;
    for (size_t j = i; j < std::min(doomed.size(), i + batch); ++j) {
      txn.compares.push_back({doomed[j].key, doomed[j].mod_revision});
      txn.ops.push_back({store::TxnOp::Type::del, doomed[j].key, "", 0});
      known_.erase(doomed[j].key);
    }
    auto r = PODNET_TRY(store_.commit(txn));
    if (r.succeeded) continue;
    for (const auto& c : txn.compares) PODNET_TRY(store_.del_if(c.key, c.mod_revision));
  }
  if (!doomed.empty())
    log::debug("events: pruned {} of {} (bound {})", doomed.size(), list.items.size(), opt_.bound);
  return {};
}

}  // namespace podnet::events
