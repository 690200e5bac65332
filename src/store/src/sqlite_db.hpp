#pragma once
// A thin RAII layer over libsqlite3: one connection, cached prepared statements, errors as
// podnet::Error naming the database file.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"

namespace podnet::store::sqlite {

// The error kind of an sqlite result code (busy for SQLITE_BUSY and SQLITE_LOCKED).
ErrorKind classify(int rc);

// A cached statement in use; resets (and clears bindings) when it goes out of scope.
class Query {
 public:
  Query(sqlite3_stmt* st, const std::string* path) : st_(st), path_(path) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& o) noexcept : st_(std::exchange(o.st_, nullptr)), path_(o.path_) {}
  ~Query();

  Query& bind(int i, std::int64_t v);
  Query& bind(int i, std::string_view blob);  // always a BLOB (an empty one, never NULL)
  Query& bind_null(int i);
  Result<bool> step();  // true: a row is available
  Result<> run();       // steps to completion, ignoring rows

  std::int64_t int64(int col) const { return sqlite3_column_int64(st_, col); }
  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  std::string blob(int col) const;

 private:
  sqlite3_stmt* st_;
  const std::string* path_;
};

class Db {
 public:
  static Result<Db> open(const std::string& path, int busy_timeout_ms);
  Db(Db&&) noexcept = default;
  Db& operator=(Db&&) noexcept = default;
  ~Db();

  // Runs one or more statements without results.
  Result<> exec(const char* sql);
  // `sql` must be a string literal: statements are cached by its address.
  Result<Query> query(const char* sql);
  const std::string& path() const { return *path_; }
  Error error(std::string_view what) const;

  // sqlite checkpoints the WAL inside COMMIT once it holds 1000 frames, so a big commit's
  // checkpoint (copying and syncing megabytes) would delay whatever the caller does after the
  // commit: waking watchers. Here COMMIT only records the WAL's size; the caller wakes its
  // watchers and then calls this, which checkpoints (PASSIVE: never waits for readers) when
  // the WAL has grown past that same threshold.
  void checkpoint_if_due();

 private:
  Db() = default;
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<std::string> path_;  // stable address for Query's messages
  std::unique_ptr<sqlite3, Closer> db_;
  std::map<const char*, sqlite3_stmt*> cache_;
  std::unique_ptr<int> wal_frames_;  // set by the WAL hook (stable address for it)
};

}  // namespace podnet::store::sqlite
