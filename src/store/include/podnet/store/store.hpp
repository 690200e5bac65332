#pragma once
// The cluster store: a bytes-only key/value store with revisions, conditional writes, leases and
// prefix watches. Two backends behind one interface: `sqlite` (one file shared by the processes
// of one machine) and `etcd` (v3 API over its JSON gateway). Values are opaque bytes (podnet
// stores JSON text); the shapes of nodes, subnets, pods and services live above this layer.
//
// Revisions: every change gets a store-wide revision, strictly increasing. A key remembers the
// revision that created it and the one that last modified it (etcd semantics).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "podnet/common/error.hpp"

namespace podnet::store {

using Revision = std::int64_t;
using LeaseId = std::int64_t;  // 0: no lease

struct KeyValue {
  std::string key;
  std::string value;             // opaque bytes (JSON text for podnet's objects)
  Revision create_revision = 0;
  Revision mod_revision = 0;     // for a delete event: the revision of the deletion
  LeaseId lease = 0;
  bool operator==(const KeyValue&) const = default;
};

struct ListResult {
  std::vector<KeyValue> items;   // sorted by key (bytewise)
  Revision revision = 0;         // store revision the listing reflects: watch after it
};

// Outcome of a conditional write (create-if-absent, compare-and-swap, delete-if).
struct CondResult {
  bool succeeded = false;
  Revision revision = 0;                 // store revision after the write / at the comparison
  std::optional<KeyValue> current;       // when !succeeded: the key as it is (nullopt: absent)
};

struct Event {
  enum class Type { put, del };
  Type type = Type::put;
  KeyValue kv;                   // for del: key and mod_revision (the deletion) only
  std::optional<KeyValue> prev;  // the value before this event, when the backend still had it
};

struct WatchResult {
  std::vector<Event> events;     // in revision order; empty when next() timed out
  // History the watcher needed is gone (compacted). The watcher is finished: list the prefix
  // again and start a new watch after the listing's revision.
  bool compacted = false;
  Revision compact_revision = 0;
};

// A multi-key transaction (commit): if every comparison holds, every operation is applied
// atomically, in order; otherwise nothing is. etcd gives the whole transaction one revision,
// sqlite one revision per operation (callers must not rely on either).
struct TxnCompare {
  std::string key;
  Revision mod_revision = 0;  // the key's mod_revision must equal this; 0: the key must be absent
};
struct TxnOp {
  enum class Type { put, del };
  Type type = Type::put;
  std::string key;
  std::string value;  // put only
  LeaseId lease = 0;  // put only
};
struct Txn {
  std::vector<TxnCompare> compares;
  std::vector<TxnOp> ops;
};
struct TxnResult {
  bool succeeded = false;
  Revision revision = 0;  // store revision after the writes / at the comparison
};

// A watch of one key prefix. Delivers every event with revision > the starting revision, in
// order, each exactly once; backend reconnects are transparent. One thread at a time.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Waits up to `timeout` for events (0: just collect what is there).
  virtual Result<WatchResult> next(std::chrono::milliseconds timeout) = 0;
  // Becomes readable when next() may have something to return: for poll/epoll loops (then call
  // next(0ms)). Loops should still call next() at least every second: the sqlite backend also
  // reaps expired leases and re-checks the database from there.
  virtual int fd() const = 0;
  // Everything up to this revision has been delivered (or did not concern the prefix).
  virtual Revision revision() const = 0;
};

// Thread-safe; calls are independent (no transactions across calls).
class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<KeyValue>> get(std::string_view key) = 0;
  virtual Result<ListResult> list(std::string_view prefix) = 0;

  // Unconditional write; returns the revision of the write. A nonzero lease must exist.
  virtual Result<Revision> put(std::string_view key, std::string_view value, LeaseId lease = 0) = 0;
  // Writes only if the key does not exist.
  virtual Result<CondResult> create(std::string_view key, std::string_view value,
                                    LeaseId lease = 0) = 0;
  // Writes only if the key's mod_revision is `expected` (0: the key must not exist).
  virtual Result<CondResult> compare_and_swap(std::string_view key, std::string_view value,
                                              Revision expected, LeaseId lease = 0) = 0;
  // Deletes; false when there was nothing to delete.
  virtual Result<bool> del(std::string_view key) = 0;
  // Deletes only if the key's mod_revision is `expected`.
  virtual Result<CondResult> del_if(std::string_view key, Revision expected) = 0;
  // Deletes every key under the prefix; returns how many.
  virtual Result<std::int64_t> del_prefix(std::string_view prefix) = 0;

  // Runs a multi-key transaction (above). Each of compares and ops may hold at most
  // max_txn_ops() entries (more is an error, nothing applied): etcd's --max-txn-ops (128 by
  // default); sqlite has no limit.
  virtual Result<TxnResult> commit(const Txn& txn) = 0;
  virtual std::size_t max_txn_ops() const = 0;
  // Unconditional puts of many keys, in transactions of at most max_txn_ops() (sqlite: one).
  // Atomic only within one transaction: a failure part-way leaves earlier batches written.
  // Returns the revision of the last write.
  Result<Revision> put_many(const std::vector<std::pair<std::string, std::string>>& kvs);

  // Leases: keys written with a lease are deleted (with delete events) when it expires or is
  // revoked. The backend may round the TTL up (etcd has a minimum).
  virtual Result<LeaseId> grant_lease(std::chrono::seconds ttl) = 0;
  // One refresh; returns the TTL granted again, 0 when the lease no longer exists (expired or
  // revoked: its keys are gone, start over).
  virtual Result<std::chrono::seconds> keep_alive(LeaseId lease) = 0;
  // Ends the lease and deletes its keys; revoking an unknown lease is not an error.
  virtual Result<> revoke(LeaseId lease) = 0;

  // Watches keys under `prefix` ("" = all), delivering events with revision > `after`. Usual
  // use: r = list(prefix); w = watch(prefix, r.revision). `after` older than the compaction
  // point: the watcher's first next() says `compacted`. sqlite: every watcher has its own
  // connection and inotify instance; etcd: its own stream thread, which survives member
  // restarts and failovers (resuming after the last revision it saw).
  virtual Result<std::unique_ptr<Watcher>> watch(std::string_view prefix, Revision after) = 0;

  // Discards history up to `revision` (watchers that still need it get `compacted`). At or
  // below the current compaction point: nothing to do; a future revision is an error.
  virtual Result<> compact(Revision revision) = 0;

  // The URL this store was opened with (for logs).
  virtual std::string describe() const = 0;
};

// Opens a store from a URL:
//   sqlite:///abs/path/store.db[?history=N&sync=normal|full&busy_timeout_ms=N]
//   etcd://host:port[,host:port...][?cacert=F&cert=F&key=F&tls=1&timeout_ms=N]
// Opening an etcd store does not contact it; the first call does.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace podnet::store
