#pragma once
// The embedded store: a sqlite file in WAL mode shared by the processes of one machine.
#include <memory>
#include <cstdint>
#include <mutex>

#include "podnet/store/store.hpp"
#include "podnet/store/url.hpp"
#include "sqlite_conn.hpp"

namespace podnet::store::sqlite {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& opts);

  Result<std::optional<KeyValue>> get(std::string_view key) override;
  Result<ListResult> list(std::string_view prefix) override;
  Result<Revision> put(std::string_view key, std::string_view value, LeaseId lease) override;
  Result<CondResult> create(std::string_view key, std::string_view value, LeaseId lease) override;
  Result<CondResult> compare_and_swap(std::string_view key, std::string_view value,
                                      Revision expected, LeaseId lease) override;
  Result<bool> del(std::string_view key) override;
  Result<CondResult> del_if(std::string_view key, Revision expected) override;
  Result<std::int64_t> del_prefix(std::string_view prefix) override;
  Result<TxnResult> commit(const Txn& txn) override;
  std::size_t max_txn_ops() const override { return SIZE_MAX; }
  Result<LeaseId> grant_lease(std::chrono::seconds ttl) override;
  Result<std::chrono::seconds> keep_alive(LeaseId lease) override;
  Result<> revoke(LeaseId lease) override;
  Result<std::unique_ptr<Watcher>> watch(std::string_view prefix, Revision after) override;
  Result<> compact(Revision revision) override;
  std::string describe() const override { return "sqlite://" + opts_.path; }

 private:
  SqliteStore(SqliteOptions opts, Conn conn) : opts_(std::move(opts)), conn_(std::move(conn)) {}
  Result<CondResult> put_if(std::string_view key, std::string_view value, Revision expected,
                            LeaseId lease);

  SqliteOptions opts_;
  std::mutex mu_;
  Conn conn_;
};

// Defined in sqlite_watch.cpp.
Result<std::unique_ptr<Watcher>> make_watcher(const SqliteOptions& opts, std::string_view prefix,
                                              Revision after);

}  // namespace podnet::store::sqlite
