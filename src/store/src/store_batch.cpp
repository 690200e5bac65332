// Store::put_many: unconditional puts in transactions of at most max_txn_ops().
#include <algorithm>

#include "podnet/store/store.hpp"

namespace podnet::store {

Result<Revision> Store::put_many(const std::vector<std::pair<std::string, std::string>>& kvs) {
  const size_t batch = std::max<size_t>(1, max_txn_ops());
  Revision last = 0;
  for (size_t i = 0; i < kvs.size(); i += batch) {
    Txn txn;
    size_t end = std::min(kvs.size(), i + std::min(batch, kvs.size() - i));
    txn.ops.reserve(end - i);
    for (size_t k = i; k < end; ++k)
      txn.ops.push_back(TxnOp{TxnOp::Type::put, kvs[k].first, kvs[k].second, 0});
    auto r = commit(txn);
    if (!r)
      return fail(r.error().context(fmt::format("put {} keys (from {})", end - i, kvs[i].first)));
    last = r->revision;
  }
  return last;
}

}  // namespace podnet::store
