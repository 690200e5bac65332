#include "etcd_store.hpp"

#include "etcd_json.hpp"

namespace podnet::store {

Result<std::unique_ptr<Store>> open_etcd(const EtcdOptions& opts) {
  if (opts.endpoints.empty()) return fail("etcd store: no endpoints");
  return std::unique_ptr<Store>(std::make_unique<etcd::EtcdStore>(opts));
}

namespace etcd {
namespace {

using nlohmann::json;

Result<Revision> header_revision(const json& j) {
  const json* h = PODNET_TRY(object(j, "header"));
  return h ? i64(*h, "revision") : Result<Revision>(0);
}

// The first kv of a range answer, if any.
Result<std::optional<KeyValue>> first_kv(const json& range) {
  const json* kvs = PODNET_TRY(array(range, "kvs"));
  if (!kvs || kvs->empty()) return std::optional<KeyValue>{};
  return std::optional<KeyValue>{PODNET_TRY(to_kv((*kvs)[0]))};
}

std::string lease_str(LeaseId id) { return std::to_string(id); }

json put_request(std::string_view key, std::string_view value, LeaseId lease) {
  json r = {{"key", b64encode(key)}, {"value", b64encode(value)}};
  if (lease != 0) r["lease"] = lease_str(lease);
  return r;
}

}  // namespace

Result<std::optional<KeyValue>> EtcdStore::get(std::string_view key) {
  auto r = http_->post("/v3/kv/range", json{{"key", b64encode(key)}}, Resend::safe);
  if (!r) return fail(r.error().context(fmt::format("get {}", key)));
  auto kv = first_kv(*r);
  if (!kv) return fail(kv.error().context(fmt::format("get {}", key)));
  return kv;
}

Result<ListResult> EtcdStore::list(std::string_view prefix) {
  constexpr int kPage = 1000;
  ListResult out;
  json req = prefix_range(prefix);
  req["limit"] = std::to_string(kPage);
  auto page = [&]() -> Result<bool> {  // true: more pages follow
    auto r = PODNET_TRY(http_->post("/v3/kv/range", req, Resend::safe));
    if (out.revision == 0) {
      // Later pages read the same snapshot as the first.
      out.revision = PODNET_TRY(header_revision(r));
      req["revision"] = std::to_string(out.revision);
    }
    size_t before = out.items.size();
    if (const json* kvs = PODNET_TRY(array(r, "kvs")))
      for (const auto& kv : *kvs) out.items.push_back(PODNET_TRY(to_kv(kv)));
    bool more = PODNET_TRY(flag(r, "more"));
    if (more && out.items.size() == before)  // would ask for the same page forever
      return fail(ErrorKind::invalid_answer, "etcd answer: \"more\" with an empty page");
    if (more) req["key"] = b64encode(out.items.back().key + std::string(1, '\0'));
    return more;
  };
  for (;;) {
    auto more = page();
    if (!more) return fail(more.error().context(fmt::format("list {}", prefix)));
    if (!*more) break;
  }
  return out;
}

Result<Revision> EtcdStore::put(std::string_view key, std::string_view value, LeaseId lease) {
  auto r = http_->post("/v3/kv/put", put_request(key, value, lease), Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("put {}", key)));
  auto rev = header_revision(*r);
  if (!rev) return fail(rev.error().context(fmt::format("put {}", key)));
  return rev;
}

Result<CondResult> EtcdStore::txn(std::string_view key, json compare, json success) {
  json req = {{"compare", json::array({std::move(compare)})},
              {"success", json::array({std::move(success)})},
              {"failure", json::array({{{"request_range", {{"key", b64encode(key)}}}}})}};
  auto r = http_->post("/v3/kv/txn", req, Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("transaction on {}", key)));
  auto decode = [&]() -> Result<CondResult> {
    CondResult out;
    out.succeeded = PODNET_TRY(flag(*r, "succeeded"));
    out.revision = PODNET_TRY(header_revision(*r));
    if (!out.succeeded) {
      const json* resps = PODNET_TRY(array(*r, "responses"));
      if (resps && !resps->empty())
        if (const json* range = PODNET_TRY(object((*resps)[0], "response_range")))
          out.current = PODNET_TRY(first_kv(*range));
    }
    return out;
  };
  auto out = decode();
  if (!out) return fail(out.error().context(fmt::format("transaction on {}", key)));
  return out;
}

Result<CondResult> EtcdStore::create(std::string_view key, std::string_view value, LeaseId lease) {
  return compare_and_swap(key, value, 0, lease);
}

Result<CondResult> EtcdStore::compare_and_swap(std::string_view key, std::string_view value,
                                               Revision expected, LeaseId lease) {
  json cmp = expected == 0
                 ? json{{"key", b64encode(key)}, {"target", "CREATE"}, {"result", "EQUAL"},
                        {"create_revision", "0"}}
                 : json{{"key", b64encode(key)}, {"target", "MOD"}, {"result", "EQUAL"},
                        {"mod_revision", std::to_string(expected)}};
  return txn(key, std::move(cmp), json{{"request_put", put_request(key, value, lease)}});
}

Result<bool> EtcdStore::del(std::string_view key) {
  auto r = http_->post("/v3/kv/deleterange", json{{"key", b64encode(key)}}, Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("delete {}", key)));
  auto n = i64(*r, "deleted");
  if (!n) return fail(n.error().context(fmt::format("delete {}", key)));
  return *n > 0;
}

Result<CondResult> EtcdStore::del_if(std::string_view key, Revision expected) {
  json cmp = {{"key", b64encode(key)}, {"target", "MOD"}, {"result", "EQUAL"},
              {"mod_revision", std::to_string(expected)}};
  auto r = PODNET_TRY(txn(key, std::move(cmp),
                          json{{"request_delete_range", {{"key", b64encode(key)}}}}));
  // A delete-if on an absent key "succeeds" in etcd when expected is 0; nothing was deleted.
  if (expected == 0) r.succeeded = false;
  return r;
}

Result<std::int64_t> EtcdStore::del_prefix(std::string_view prefix) {
  auto r = http_->post("/v3/kv/deleterange", prefix_range(prefix), Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("delete prefix {}", prefix)));
  auto n = i64(*r, "deleted");
  if (!n) return fail(n.error().context(fmt::format("delete prefix {}", prefix)));
  return n;
}

Result<TxnResult> EtcdStore::commit(const Txn& txn) {
  if (txn.compares.size() > max_txn_ops() || txn.ops.size() > max_txn_ops())
    return fail(fmt::format("transaction of {} comparisons and {} operations: etcd allows {} each",
                            txn.compares.size(), txn.ops.size(), max_txn_ops()));
  json cmps = json::array(), ops = json::array();
  for (const auto& c : txn.compares)
    cmps.push_back(c.mod_revision == 0
                       ? json{{"key", b64encode(c.key)}, {"target", "CREATE"}, {"result", "EQUAL"},
                              {"create_revision", "0"}}
                       : json{{"key", b64encode(c.key)}, {"target", "MOD"}, {"result", "EQUAL"},
                              {"mod_revision", std::to_string(c.mod_revision)}});
  for (const auto& op : txn.ops)
    ops.push_back(op.type == TxnOp::Type::put
                      ? json{{"request_put", put_request(op.key, op.value, op.lease)}}
                      : json{{"request_delete_range", {{"key", b64encode(op.key)}}}});
  auto r = http_->post("/v3/kv/txn", json{{"compare", std::move(cmps)}, {"success", std::move(ops)}},
                       Resend::unsafe);
  if (!r) {
    std::string first = txn.ops.empty() ? std::string("(no ops)") : txn.ops.front().key;
    return fail(r.error().context(
        fmt::format("transaction of {} operations from {}", txn.ops.size(), first)));
  }
  TxnResult out;
  auto succeeded = flag(*r, "succeeded");  // type-checked: a hostile answer is an error
  auto revision = header_revision(*r);
  if (!succeeded || !revision)
    return fail((succeeded ? revision.error() : succeeded.error())
                    .context(fmt::format("transaction of {} operations", txn.ops.size())));
  out.succeeded = *succeeded;
  out.revision = *revision;
  return out;
}

Result<LeaseId> EtcdStore::grant_lease(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return fail(fmt::format("grant lease: TTL {}s must be positive", ttl.count()));
  auto r = http_->post("/v3/lease/grant", json{{"TTL", std::to_string(ttl.count())}}, Resend::safe);
  if (!r) return fail(r.error().context("grant lease"));
  auto e = str(*r, "error");
  if (!e) return fail(e.error().context("grant lease"));
  if (!e->empty()) return fail("grant lease: " + *e);
  auto id = i64(*r, "ID");
  if (!id) return fail(id.error().context("grant lease"));
  if (*id == 0) return fail(ErrorKind::invalid_answer, "grant lease: etcd returned no lease ID");
  return *id;
}

Result<std::chrono::seconds> EtcdStore::keep_alive(LeaseId lease) {
  // A bidirectional stream in gRPC; over the gateway one request gives one answer.
  auto r = http_->post("/v3/lease/keepalive", json{{"ID", lease_str(lease)}}, Resend::safe);
  if (!r) return fail(r.error().context(fmt::format("keep lease {} alive", lease)));
  auto ttl = [&]() -> Result<std::int64_t> {
    if (auto err = r->find("error"); err != r->end()) {
      std::string shown = err->dump();
      return fail(fmt::format("{}", shown.substr(0, 200)));
    }
    const json* res = PODNET_TRY(object(*r, "result"));
    return res ? i64(*res, "TTL") : Result<std::int64_t>(0);
  }();
  if (!ttl) return fail(ttl.error().context(fmt::format("keep lease {} alive", lease)));
  return std::chrono::seconds(*ttl);  // absent (0): the lease is gone
}

Result<> EtcdStore::revoke(LeaseId lease) {
  auto r = http_->post("/v3/lease/revoke", json{{"ID", lease_str(lease)}}, Resend::safe);
  if (!r && !r.error().is(ErrorKind::lease_not_found))
    return fail(r.error().context(fmt::format("revoke lease {}", lease)));
  return {};
}

Result<std::unique_ptr<Watcher>> EtcdStore::watch(std::string_view prefix, Revision after) {
  return make_watcher(http_, prefix, after);
}

Result<> EtcdStore::compact(Revision revision) {
  auto r = http_->post("/v3/kv/compaction",
                       json{{"revision", std::to_string(revision)}, {"physical", true}},
                       Resend::safe);
  if (!r && !r.error().is(ErrorKind::compacted))
    return fail(r.error().context(fmt::format("compact at {}", revision)));
  return {};
}

}  // namespace etcd
}  // namespace podnet::store
