#pragma once
// One connection to a sqlite store file plus the operations that run inside its transactions:
// revisions, the kv table, the event log, leases (reaped lazily by whoever comes first) and the
// wake-up of watchers in other processes. Used by SqliteStore (under its mutex) and by each
// SqliteWatcher (its own connection). Not thread-safe.
//
// Schema (user_version 1):
//   meta(name, value)      'revision' (last assigned, starts at 1), 'compact_revision'
//   kv(key, value, create_rev, mod_rev, lease)               current state
//   log(rev, type, key, value, create_rev, lease, prev_*)    one event per revision
//   leases(id, ttl_ms, expiry_ms)                             expiry in CLOCK_REALTIME ms
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "podnet/common/unique_fd.hpp"
#include "podnet/store/store.hpp"
#include "podnet/store/url.hpp"
#include "sqlite_db.hpp"

namespace podnet::store::sqlite {

// Wall-clock milliseconds: lease expiry is shared by processes and survives restarts.
std::int64_t now_ms();

// The file writers touch after each commit that changed something; watchers inotify it.
std::string notify_path(const std::string& db_path);

class Conn {
 public:
  static Result<Conn> open(const SqliteOptions& opts);

  // Runs fn() in a BEGIN IMMEDIATE transaction (serialised across processes) after reaping
  // expired leases; commits, trims the event log, wakes watchers if anything changed.
  template <typename F>
  auto write(F&& fn) -> decltype(fn()) {
    PODNET_TRY_VOID(begin(true));
    auto r = [&]() -> decltype(fn()) {
      PODNET_TRY_VOID(reap_expired(now_ms()));
      return fn();
    }();
    if (!r) {
      rollback();
      return r;
    }
    if (auto c = finish_write(); !c) {
      rollback();
      return std::unexpected(c.error());
    }
    return r;
  }

  // Runs fn() in a read transaction (one consistent snapshot). Expired leases are reaped first
  // (a reader must not see keys of an expired lease).
  template <typename F>
  auto read(F&& fn) -> decltype(fn()) {
    PODNET_TRY_VOID(reap_if_due());
    PODNET_TRY_VOID(begin(false));
    auto r = fn();
    if (!r) {
      rollback();
      return r;
    }
    if (auto c = db_.exec("COMMIT"); !c) {
      rollback();
      return std::unexpected(c.error());
    }
    return r;
  }

  // --- inside a transaction ---
  Result<Revision> revision();
  Result<Revision> compact_revision();
  Result<std::optional<KeyValue>> get(std::string_view key);
  Result<std::vector<KeyValue>> range(std::string_view prefix);
  // `known_prev`: the key's current state when the caller has just read it in this
  // transaction (moved from), saving the read.
  Result<Revision> put(std::string_view key, std::string_view value, LeaseId lease,
                       std::optional<KeyValue>* known_prev = nullptr);
  // Returns the deletion's revision, 0 when the key did not exist.
  Result<Revision> remove(std::string_view key);
  Result<std::int64_t> remove_prefix(std::string_view prefix);
  Result<bool> lease_exists(LeaseId id);
  Result<LeaseId> lease_grant(std::int64_t ttl_ms);
  // New expiry = now + ttl; returns the ttl in ms, 0 when the lease does not exist.
  Result<std::int64_t> lease_refresh(LeaseId id);
  Result<> lease_revoke(LeaseId id);
  Result<> compact(Revision rev);
  // Events with revision > after under the prefix range, at most `limit`.
  Result<std::vector<std::pair<Revision, Event>>> events_after(Revision after, std::string_view lo,
                                                               std::string_view hi, int limit);

  // --- outside a transaction ---
  // Earliest lease expiry (CLOCK_REALTIME ms), nullopt without leases.
  Result<std::optional<std::int64_t>> next_expiry();
  Result<> reap_if_due();
  const std::string& path() const { return db_.path(); }

 private:
  Conn(Db db, UniqueFd notify, std::int64_t history)
      : db_(std::move(db)), notify_(std::move(notify)), history_(history) {}
  Result<> init_schema(bool sync_full);
  Result<> begin(bool immediate);
  void rollback();
  Result<> finish_write();
  Result<Revision> bump();
  Result<> log_event(Revision rev, Event::Type type, std::string_view key, const KeyValue* now,
                     const std::optional<KeyValue>& prev);
  Result<> reap_expired(std::int64_t now);

  Db db_;
  UniqueFd notify_;
  std::int64_t history_;
  bool dirty_ = false;           // this transaction assigned a revision
  std::optional<Revision> rev_;  // in a write transaction: the revision, once read or assigned
};

}  // namespace podnet::store::sqlite
