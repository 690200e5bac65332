#pragma once
// Records events (cluster/event.hpp) in the store without ever holding up or failing the
// caller: record() only queues; the recorder's thread folds repeats, writes (a repeat bumps
// count on its key by compare-and-swap), and prunes the history to its bound. A write that
// fails is logged (once per outage) and the event dropped.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "podnet/cluster/event.hpp"
#include "podnet/common/error.hpp"
#include "podnet/store/store.hpp"

namespace podnet::events {

struct RecorderOptions {
  size_t bound = cluster::max_events;               // events kept across the cluster
  size_t prune_every = cluster::event_prune_every;  // keys created between prunes
  size_t queue_limit = 1000;  // queued events beyond this are dropped (store too slow or down)
  std::chrono::milliseconds drain_on_stop{
      2000};  // the destructor writes what is queued, at most this long
};

class Recorder {
 public:
  // `store` must outlive the recorder (thread-safe, shared with the caller).
  Recorder(store::Store& store, cluster::EventSource source, RecorderOptions opt = {});
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues an event stamped now; returns at once.
  void record(const cluster::ObjectRef& obj, cluster::EventType type, std::string reason,
              std::string message);
  void normal(const cluster::ObjectRef& obj, std::string reason, std::string message) {
    record(obj, cluster::EventType::Normal, std::move(reason), std::move(message));
  }
  void warning(const cluster::ObjectRef& obj, std::string reason, std::string message) {
    record(obj, cluster::EventType::Warning, std::move(reason), std::move(message));
  }

  // Waits until everything queued before the call is written (or dropped) and the history
  // pruned to its bound; false on timeout.
  bool flush(std::chrono::milliseconds timeout);

 private:
  void loop();
  void write(const cluster::Event& e);
  Result<> write_once(const cluster::Event& e);
  Result<> prune();
  void failed(const Error& e, std::string_view what);

  store::Store& store_;
  const cluster::EventSource source_;
  const RecorderOptions opt_;

  std::mutex mu_;
  std::condition_variable cv_;       // work queued / stop
  std::condition_variable done_cv_;  // a batch finished
  std::deque<cluster::Event> queue_;
  uint64_t queued_ = 0, finished_ = 0;         // events ever queued / written or dropped
  uint64_t dropped_queue_ = 0;                 // dropped by a full queue, not logged yet
  uint64_t flush_asked_ = 0, flush_done_ = 0;  // flush() generations asked / done
  bool stop_ = false;

  // Recorder thread only.
  struct Known {
    cluster::Event event;
    store::Revision mod_revision = 0;
  };
  std::map<std::string, Known> known_;  // keys this recorder wrote last (saves a read on repeats)
  size_t created_since_prune_ = 0;
  bool failing_ = false;
  uint64_t dropped_ = 0;
  std::thread thread_;
};

// Every event under `ns` ("" = all namespaces), oldest first; values that do not parse are
// left out.
Result<std::vector<cluster::StoredEvent>> list_events(store::Store& s, std::string_view ns,
                                                      store::Revision* revision = nullptr);
// One listed key as an event; nullopt when it is not one.
std::optional<cluster::StoredEvent> parse_stored_event(const store::KeyValue& kv);

}  // namespace podnet::events
