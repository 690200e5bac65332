#pragma once
// The etcd v3 backend, over the JSON gateway (/v3/kv/*, /v3/lease/*, /v3/watch).
#include <memory>

#include "etcd_http.hpp"
#include "podnet/store/store.hpp"

namespace podnet::store::etcd {

class EtcdStore final : public Store {
 public:
  explicit EtcdStore(const EtcdOptions& opts) : http_(std::make_shared<Http>(opts)) {}

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
  // etcd's --max-txn-ops default; a cluster started with a larger one still accepts these.
  std::size_t max_txn_ops() const override { return 128; }
  Result<LeaseId> grant_lease(std::chrono::seconds ttl) override;
  Result<std::chrono::seconds> keep_alive(LeaseId lease) override;
  Result<> revoke(LeaseId lease) override;
  Result<std::unique_ptr<Watcher>> watch(std::string_view prefix, Revision after) override;
  Result<> compact(Revision revision) override;
  std::string describe() const override { return http_->describe(); }

 private:
  // A transaction: if `compare` holds, run `success`, else read the key back.
  Result<CondResult> txn(std::string_view key, nlohmann::json compare, nlohmann::json success);

  std::shared_ptr<Http> http_;
};

// Defined in etcd_watch.cpp.
Result<std::unique_ptr<Watcher>> make_watcher(std::shared_ptr<Http> http, std::string_view prefix,
                                              Revision after);

}  // namespace podnet::store::etcd
