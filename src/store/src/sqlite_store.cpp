#include "sqlite_store.hpp"

#include <unordered_map>

namespace podnet::store {

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& opts) {
  auto s = sqlite::SqliteStore::open(opts);
  if (!s) return fail(s.error());
  return std::unique_ptr<Store>(std::move(*s));
}

namespace sqlite {

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& opts) {
  auto conn = PODNET_TRY(Conn::open(opts));
  return std::unique_ptr<SqliteStore>(new SqliteStore(opts, std::move(conn)));
}

Result<std::optional<KeyValue>> SqliteStore::get(std::string_view key) {
  std::lock_guard lk(mu_);
  return conn_.read([&] { return conn_.get(key); });
}

Result<ListResult> SqliteStore::list(std::string_view prefix) {
  std::lock_guard lk(mu_);
  return conn_.read([&]() -> Result<ListResult> {
    ListResult r;
    r.items = PODNET_TRY(conn_.range(prefix));
    r.revision = PODNET_TRY(conn_.revision());
    return r;
  });
}

Result<Revision> SqliteStore::put(std::string_view key, std::string_view value, LeaseId lease) {
  std::lock_guard lk(mu_);
  return conn_.write([&] { return conn_.put(key, value, lease); });
}

// expected: 0 = the key must not exist, n = its mod_revision must be n.
Result<CondResult> SqliteStore::put_if(std::string_view key, std::string_view value,
                                       Revision expected, LeaseId lease) {
  std::lock_guard lk(mu_);
  return conn_.write([&]() -> Result<CondResult> {
    CondResult r;
    auto cur = PODNET_TRY(conn_.get(key));
    Revision have = cur ? cur->mod_revision : 0;
    if (have != expected) {
      r.current = std::move(cur);
      r.revision = PODNET_TRY(conn_.revision());
      return r;
    }
    r.revision = PODNET_TRY(conn_.put(key, value, lease));
    r.succeeded = true;
    return r;
  });
}

Result<CondResult> SqliteStore::create(std::string_view key, std::string_view value,
                                       LeaseId lease) {
  return put_if(key, value, 0, lease);
}

Result<CondResult> SqliteStore::compare_and_swap(std::string_view key, std::string_view value,
                                                 Revision expected, LeaseId lease) {
  return put_if(key, value, expected, lease);
}

Result<bool> SqliteStore::del(std::string_view key) {
  std::lock_guard lk(mu_);
  return conn_.write([&]() -> Result<bool> { return PODNET_TRY(conn_.remove(key)) != 0; });
}

Result<CondResult> SqliteStore::del_if(std::string_view key, Revision expected) {
  std::lock_guard lk(mu_);
  return conn_.write([&]() -> Result<CondResult> {
    CondResult r;
    auto cur = PODNET_TRY(conn_.get(key));
    if (!cur || cur->mod_revision != expected) {
      r.current = std::move(cur);
      r.revision = PODNET_TRY(conn_.revision());
      return r;
    }
    r.revision = PODNET_TRY(conn_.remove(key));
    r.succeeded = true;
    return r;
  });
}

Result<std::int64_t> SqliteStore::del_prefix(std::string_view prefix) {
  std::lock_guard lk(mu_);
  return conn_.write([&] { return conn_.remove_prefix(prefix); });
}

Result<TxnResult> SqliteStore::commit(const Txn& txn) {
  std::lock_guard lk(mu_);
  return conn_.write([&]() -> Result<TxnResult> {
    TxnResult r;
    // What the compares read is what a put of the same key replaces: kept, not read again.
    std::unordered_map<std::string_view, std::optional<KeyValue>> seen;
    seen.reserve(txn.compares.size());
    for (const auto& c : txn.compares) {
      auto cur = PODNET_TRY(conn_.get(c.key));
      if ((cur ? cur->mod_revision : 0) != c.mod_revision) {
        r.revision = PODNET_TRY(conn_.revision());
        return r;  // nothing written: the transaction commits empty
      }
      seen.emplace(c.key, std::move(cur));
    }
    for (const auto& op : txn.ops) {
      auto it = seen.find(op.key);
      if (op.type == TxnOp::Type::put)
        PODNET_TRY_VOID(
            conn_.put(op.key, op.value, op.lease, it != seen.end() ? &it->second : nullptr));
      else
        PODNET_TRY_VOID(conn_.remove(op.key));
      if (it != seen.end()) seen.erase(it);  // a second op on the key reads what the first left
    }
    r.revision = PODNET_TRY(conn_.revision());
    r.succeeded = true;
    return r;
  });
}

Result<LeaseId> SqliteStore::grant_lease(std::chrono::seconds ttl) {
  if (ttl.count() <= 0)
    return fail(fmt::format("grant lease: TTL {}s must be positive", ttl.count()));
  std::lock_guard lk(mu_);
  return conn_.write([&] { return conn_.lease_grant(ttl.count() * 1000); });
}

Result<std::chrono::seconds> SqliteStore::keep_alive(LeaseId lease) {
  std::lock_guard lk(mu_);
  auto ms = PODNET_TRY(conn_.write([&] { return conn_.lease_refresh(lease); }));
  return std::chrono::seconds(ms / 1000);
}

Result<> SqliteStore::revoke(LeaseId lease) {
  std::lock_guard lk(mu_);
  return conn_.write([&] { return conn_.lease_revoke(lease); });
}

Result<std::unique_ptr<Watcher>> SqliteStore::watch(std::string_view prefix, Revision after) {
  return make_watcher(opts_, prefix, after);
}

Result<> SqliteStore::compact(Revision revision) {
  std::lock_guard lk(mu_);
  return conn_.write([&] { return conn_.compact(revision); });
}

}  // namespace sqlite
}  // namespace podnet::store
