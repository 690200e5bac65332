#include "sqlite_db.hpp"

namespace podnet::store::sqlite {
namespace {
const char kEmpty[] = "";
constexpr int kCheckpointFrames = 1000;  // sqlite's own auto-checkpoint threshold

int record_wal_frames(void* frames, sqlite3*, const char*, int n) {
  *static_cast<int*>(frames) = n;
  return SQLITE_OK;
}
}  // namespace

ErrorKind classify(int rc) {
  switch (rc & 0xff) {  // primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::busy;
    default:
      return ErrorKind::other;
  }
}

Query::~Query() {
  if (st_) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
}

Query& Query::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}

Query& Query::bind(int i, std::string_view blob) {
  sqlite3_bind_blob64(st_, i, blob.empty() ? kEmpty : blob.data(), blob.size(), SQLITE_TRANSIENT);
  return *this;
}

Query& Query::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

Result<bool> Query::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(st_);
  return fail(classify(rc),
              fmt::format("sqlite {}: {}: {}", *path_, sqlite3_sql(st_), sqlite3_errmsg(db)));
}

Result<> Query::run() {
  while (PODNET_TRY(step())) {
  }
  return {};
}

std::string Query::blob(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

Result<Db> Db::open(const std::string& path, int busy_timeout_ms) {
  Db d;
  d.path_ = std::make_unique<std::string>(path);
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  d.db_.reset(raw);
  if (rc != SQLITE_OK)
    return fail(classify(rc), fmt::format("sqlite open {}: {}", path,
                                          raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  d.wal_frames_ = std::make_unique<int>(0);
  sqlite3_wal_hook(raw, record_wal_frames, d.wal_frames_.get());  // replaces auto-checkpoint
  return d;
}

Db::~Db() {
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
}

void Db::checkpoint_if_due() {
  if (!wal_frames_ || *wal_frames_ < kCheckpointFrames) return;
  *wal_frames_ = 0;
  // Best effort, as sqlite's own: a checkpoint that cannot finish now is done by a later one.
  (void)sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

Error Db::error(std::string_view what) const {
  return Error::of(classify(sqlite3_extended_errcode(db_.get())),
                   fmt::format("sqlite {}: {}: {}", *path_, what, sqlite3_errmsg(db_.get())));
}

Result<> Db::exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    return fail(classify(rc), fmt::format("sqlite {}: {}: {}", *path_, sql, m));
  }
  return {};
}

Result<Query> Db::query(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK)
      return fail(error(fmt::format("prepare {}", sql)));
    it = cache_.emplace(sql, st).first;
  }
  return Query(it->second, path_.get());
}

}  // namespace podnet::store::sqlite
