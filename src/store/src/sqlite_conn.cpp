#include "sqlite_conn.hpp"

#include "podnet/common/trusted_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <thread>

#include "keys.hpp"

namespace podnet::store::sqlite {

std::int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

std::string notify_path(const std::string& db_path) {
  return db_path + "-notify";
}

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('revision', 1), ('compact_revision', 0);
CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, value BLOB NOT NULL,
  create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, lease INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_by_lease ON kv(lease) WHERE lease <> 0;
CREATE TABLE IF NOT EXISTS log(rev INTEGER PRIMARY KEY, type INTEGER NOT NULL, key BLOB NOT NULL,
  value BLOB, create_rev INTEGER, lease INTEGER,
  prev_value BLOB, prev_create_rev INTEGER, prev_mod_rev INTEGER, prev_lease INTEGER);
CREATE TABLE IF NOT EXISTS leases(id INTEGER PRIMARY KEY AUTOINCREMENT, ttl_ms INTEGER NOT NULL,
  expiry_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases(expiry_ms);
PRAGMA user_version = 1;
)sql";

}  // namespace

namespace {
// sqlite locks the store file with POSIX record locks, and closing ANY fd of that file drops
// every such lock the process holds: opening and closing the file while another connection of
// this process (a watcher, the kubelet's second store) is in a transaction let writers of other
// processes in and corrupted the database. So the file is opened only when it does not exist
// yet (then no connection here can hold it: created 0600 through a trusted directory), and an
// existing one is checked with lstat, which takes no fd.
Result<> check_store_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return fail_errno(fmt::format("stat {}", path));
    if (auto f = open_owned_file(path, O_RDWR); !f)
      return std::unexpected(f.error().context("store file " + path));
    return {};
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  (void)PODNET_TRY(open_trusted_dir(dir, false));
  if (!S_ISREG(st.st_mode))
    return fail(
        fmt::format("{}: not a regular file (a link or special file): refusing to use it", path));
  if (st.st_uid != ::geteuid() || st.st_nlink != 1)
    return fail(fmt::format("{}: owned by uid {} with {} links: refusing to use it", path,
                            st.st_uid, st.st_nlink));
  return {};
}
}  // namespace

Result<Conn> Conn::open(const SqliteOptions& opts) {
  // The store file (created 0600: it holds the cluster's state), its -wal/-shm (sqlite gives
  // them the file's mode) and the notify file live in a directory only root can write, so
  // nobody can plant links for them; see podnet/common/trusted_dir.hpp.
  PODNET_TRY_VOID(check_store_file(opts.path));
  auto db = PODNET_TRY(Db::open(opts.path, static_cast<int>(opts.busy_timeout.count())));
  UniqueFd nfd = PODNET_TRY(open_owned_file(notify_path(opts.path), O_RDWR));
  Conn c(std::move(db), std::move(nfd), opts.history);
  // Switching to WAL needs a moment alone with the file; racing openers may see "locked".
  auto deadline = std::chrono::steady_clock::now() + opts.busy_timeout;
  for (;;) {
    auto r = c.init_schema(opts.sync_full);
    if (r) break;
    if (!r.error().is(ErrorKind::busy) || std::chrono::steady_clock::now() > deadline)
      return fail(r.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return c;
}

Result<> Conn::init_schema(bool sync_full) {
  PODNET_TRY_VOID(db_.exec("PRAGMA journal_mode=WAL"));
  PODNET_TRY_VOID(db_.exec(sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  auto q = PODNET_TRY(db_.query("PRAGMA user_version"));
  std::int64_t version = PODNET_TRY(q.step()) ? q.int64(0) : 0;
  if (version == 1) return {};
  if (version > 1)
    return fail(fmt::format("sqlite {}: schema version {} is newer than this program's (1)",
                            db_.path(), version));
  PODNET_TRY_VOID(begin(true));
  if (auto r = db_.exec(kSchema); !r) {
    rollback();
    return r;
  }
  return db_.exec("COMMIT");
}

Result<> Conn::begin(bool immediate) {
  dirty_ = false;
  rev_.reset();
  return db_.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

void Conn::rollback() {
  (void)db_.exec("ROLLBACK");
  dirty_ = false;
  rev_.reset();
}

Result<> Conn::finish_write() {
  if (dirty_) {
    // The revisions this transaction assigned were counted in memory: stored once here.
    Revision rev = *rev_;
    {
      auto q = PODNET_TRY(db_.query("UPDATE meta SET value = ?1 WHERE name = 'revision'"));
      q.bind(1, rev);
      PODNET_TRY_VOID(q.run());
    }
    Revision compacted = PODNET_TRY(compact_revision());
    std::int64_t slack = std::max<std::int64_t>(1, history_ / 4);
    if (rev - compacted > history_ + slack) PODNET_TRY_VOID(compact(rev - history_));
  }
  PODNET_TRY_VOID(db_.exec("COMMIT"));
  if (std::exchange(dirty_, false) && notify_) {
    // Wakes watchers (IN_MODIFY). Done after COMMIT: a woken reader sees the new data.
    (void)!::pwrite(notify_.get(), "w", 1, 0);
  }
  // Then the WAL checkpoint, which sqlite would have run inside COMMIT: after a commit of
  // 10000 Services it took 0.4 s on this VM, which watchers no longer wait for.
  db_.checkpoint_if_due();
  return {};
}

Result<Revision> Conn::revision() {
  if (rev_) return *rev_;
  auto q = PODNET_TRY(db_.query("SELECT value FROM meta WHERE name = 'revision'"));
  if (!PODNET_TRY(q.step())) return fail(db_.error("meta has no revision"));
  return q.int64(0);
}

Result<Revision> Conn::compact_revision() {
  auto q = PODNET_TRY(db_.query("SELECT value FROM meta WHERE name = 'compact_revision'"));
  if (!PODNET_TRY(q.step())) return fail(db_.error("meta has no compact_revision"));
  return q.int64(0);
}

Result<Revision> Conn::bump() {
  // Writers are serialised (BEGIN IMMEDIATE): the revision is read once per transaction and
  // counted here; finish_write() stores the last one. One statement per write saved: a bulk
  // commit of 20000 puts spent a tenth of its time in this UPDATE.
  if (!rev_) rev_ = PODNET_TRY(revision());
  dirty_ = true;
  return ++*rev_;
}

Result<std::optional<KeyValue>> Conn::get(std::string_view key) {
  auto q = PODNET_TRY(db_.query("SELECT value, create_rev, mod_rev, lease FROM kv WHERE key = ?1"));
  q.bind(1, key);
  if (!PODNET_TRY(q.step())) return std::optional<KeyValue>{};
  return KeyValue{std::string(key), q.blob(0), q.int64(1), q.int64(2), q.int64(3)};
}

Result<std::vector<KeyValue>> Conn::range(std::string_view prefix) {
  // Two statements, not one with "(length(?2) = 0 OR key < ?2)": sqlite cannot bound an index
  // search by such an OR, so every listing read on to the end of the table (listing the few
  // nodePorts of a store of 10000 Services took 12 ms).
  const std::string end = prefix_end(prefix);
  auto q =
      PODNET_TRY(end.empty() ? db_.query("SELECT key, value, create_rev, mod_rev, lease FROM kv "
                                         "WHERE key >= ?1 ORDER BY key")
                             : db_.query("SELECT key, value, create_rev, mod_rev, lease FROM kv "
                                         "WHERE key >= ?1 AND key < ?2 ORDER BY key"));
  q.bind(1, prefix);
  if (!end.empty()) q.bind(2, end);
  std::vector<KeyValue> out;
  while (PODNET_TRY(q.step()))
    out.push_back(KeyValue{q.blob(0), q.blob(1), q.int64(2), q.int64(3), q.int64(4)});
  return out;
}

Result<> Conn::log_event(Revision rev, Event::Type type, std::string_view key, const KeyValue* now,
                         const std::optional<KeyValue>& prev) {
  auto q = PODNET_TRY(db_.query(
      "INSERT INTO log(rev, type, key, value, create_rev, lease, prev_value, prev_create_rev, "
      "prev_mod_rev, prev_lease) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  q.bind(1, rev).bind(2, std::int64_t{type == Event::Type::put ? 0 : 1}).bind(3, key);
  if (now) q.bind(4, now->value).bind(5, now->create_revision).bind(6, now->lease);
  if (prev)
    q.bind(7, prev->value)
        .bind(8, prev->create_revision)
        .bind(9, prev->mod_revision)
        .bind(10, prev->lease);
  return q.run();
}

Result<Revision> Conn::put(std::string_view key, std::string_view value, LeaseId lease,
                           std::optional<KeyValue>* known_prev) {
  if (lease != 0 && !PODNET_TRY(lease_exists(lease)))
    return fail(ErrorKind::lease_not_found,
                fmt::format("put {}: lease {} not found (expired or revoked)", key, lease));
  std::optional<KeyValue> prev = known_prev ? std::move(*known_prev) : PODNET_TRY(get(key));
  Revision rev = PODNET_TRY(bump());
  KeyValue kv{std::string(key), std::string(value), prev ? prev->create_revision : rev, rev, lease};
  auto q =
      PODNET_TRY(db_.query("INSERT OR REPLACE INTO kv(key, value, create_rev, mod_rev, lease) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)"));
  q.bind(1, key).bind(2, value).bind(3, kv.create_revision).bind(4, rev).bind(5, lease);
  PODNET_TRY_VOID(q.run());
  PODNET_TRY_VOID(log_event(rev, Event::Type::put, key, &kv, prev));
  return rev;
}

Result<Revision> Conn::remove(std::string_view key) {
  auto prev = PODNET_TRY(get(key));
  if (!prev) return Revision{0};
  Revision rev = PODNET_TRY(bump());
  auto q = PODNET_TRY(db_.query("DELETE FROM kv WHERE key = ?1"));
  q.bind(1, key);
  PODNET_TRY_VOID(q.run());
  PODNET_TRY_VOID(log_event(rev, Event::Type::del, key, nullptr, prev));
  return rev;
}

Result<std::int64_t> Conn::remove_prefix(std::string_view prefix) {
  auto items = PODNET_TRY(range(prefix));
  for (const auto& kv : items) PODNET_TRY_VOID(remove(kv.key));
  return static_cast<std::int64_t>(items.size());
}

Result<bool> Conn::lease_exists(LeaseId id) {
  auto q = PODNET_TRY(db_.query("SELECT 1 FROM leases WHERE id = ?1"));
  q.bind(1, id);
  return q.step();
}

Result<LeaseId> Conn::lease_grant(std::int64_t ttl_ms) {
  auto q =
      PODNET_TRY(db_.query("INSERT INTO leases(ttl_ms, expiry_ms) VALUES (?1, ?2) RETURNING id"));
  q.bind(1, ttl_ms).bind(2, now_ms() + ttl_ms);
  if (!PODNET_TRY(q.step())) return fail(db_.error("lease insert returned no id"));
  return q.int64(0);
}

Result<std::int64_t> Conn::lease_refresh(LeaseId id) {
  auto q = PODNET_TRY(
      db_.query("UPDATE leases SET expiry_ms = ?2 + ttl_ms WHERE id = ?1 RETURNING ttl_ms"));
  q.bind(1, id).bind(2, now_ms());
  if (!PODNET_TRY(q.step())) return std::int64_t{0};
  return q.int64(0);
}

Result<> Conn::lease_revoke(LeaseId id) {
  std::vector<std::string> keys;
  {
    auto q = PODNET_TRY(db_.query("SELECT key FROM kv WHERE lease = ?1 ORDER BY key"));
    q.bind(1, id);
    while (PODNET_TRY(q.step())) keys.push_back(q.blob(0));
  }
  for (const auto& k : keys) PODNET_TRY_VOID(remove(k));
  auto q = PODNET_TRY(db_.query("DELETE FROM leases WHERE id = ?1"));
  q.bind(1, id);
  return q.run();
}

Result<> Conn::reap_expired(std::int64_t now) {
  std::vector<LeaseId> expired;
  {
    auto q =
        PODNET_TRY(db_.query("SELECT id FROM leases WHERE expiry_ms <= ?1 ORDER BY expiry_ms"));
    q.bind(1, now);
    while (PODNET_TRY(q.step())) expired.push_back(q.int64(0));
  }
  for (LeaseId id : expired) PODNET_TRY_VOID(lease_revoke(id));
  return {};
}

Result<std::optional<std::int64_t>> Conn::next_expiry() {
  auto q = PODNET_TRY(db_.query("SELECT min(expiry_ms) FROM leases"));
  if (!PODNET_TRY(q.step()) || q.is_null(0)) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{q.int64(0)};
}

Result<> Conn::reap_if_due() {
  auto due = PODNET_TRY(next_expiry());
  if (!due || *due > now_ms()) return {};
  return write([]() -> Result<> { return {}; });
}

Result<> Conn::compact(Revision rev) {
  Revision current = PODNET_TRY(revision());
  if (rev > current)
    return fail(fmt::format("compact {}: revision {} is in the future (store is at {})", db_.path(),
                            rev, current));
  if (rev <= PODNET_TRY(compact_revision())) return {};
  {
    auto q = PODNET_TRY(db_.query("DELETE FROM log WHERE rev <= ?1"));
    q.bind(1, rev);
    PODNET_TRY_VOID(q.run());
  }
  auto q = PODNET_TRY(db_.query("UPDATE meta SET value = ?1 WHERE name = 'compact_revision'"));
  q.bind(1, rev);
  return q.run();
}

Result<std::vector<std::pair<Revision, Event>>> Conn::events_after(Revision after,
                                                                   std::string_view lo,
                                                                   std::string_view hi, int limit) {
  auto q = PODNET_TRY(
      db_.query("SELECT rev, type, key, value, create_rev, lease, prev_value, prev_create_rev, "
                "prev_mod_rev, prev_lease FROM log WHERE rev > ?1 AND key >= ?2 "
                "AND (length(?3) = 0 OR key < ?3) ORDER BY rev LIMIT ?4"));
  q.bind(1, after).bind(2, lo).bind(3, hi).bind(4, std::int64_t{limit});
  std::vector<std::pair<Revision, Event>> out;
  while (PODNET_TRY(q.step())) {
    Revision rev = q.int64(0);
    Event e;
    e.type = q.int64(1) == 0 ? Event::Type::put : Event::Type::del;
    e.kv.key = q.blob(2);
    e.kv.mod_revision = rev;
    if (e.type == Event::Type::put) {
      e.kv.value = q.blob(3);
      e.kv.create_revision = q.int64(4);
      e.kv.lease = q.int64(5);
    }
    if (!q.is_null(8)) e.prev = KeyValue{e.kv.key, q.blob(6), q.int64(7), q.int64(8), q.int64(9)};
    out.emplace_back(rev, std::move(e));
  }
  return out;
}

}  // namespace podnet::store::sqlite
