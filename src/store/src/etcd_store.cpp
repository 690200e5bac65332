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

Revision header_revision(const json& j) {
  auto it = j.find("header");
  return it == j.end() ? 0 : i64(*it, "revision");
}

std::string lease_str(LeaseId id) { return std::to_string(id); }

json put_request(std::string_view key, std::string_view value, LeaseId lease) {
  json r = {{"key", b64encode(key)}, {"value", b64encode(value)}};
  if (lease != 0) r["lease"] = lease_str(lease);
  return r;
}

bool mentions(const Error& e, std::string_view what) {
  return e.message.find(what) != std::string::npos;
}

}  // namespace

Result<std::optional<KeyValue>> EtcdStore::get(std::string_view key) {
  auto r = PODNET_TRY(http_->post("/v3/kv/range", json{{"key", b64encode(key)}}, Resend::safe));
  auto kvs = r.find("kvs");
  if (kvs == r.end() || !kvs->is_array() || kvs->empty()) return std::optional<KeyValue>{};
  return std::optional<KeyValue>{PODNET_TRY(to_kv((*kvs)[0]))};
}

Result<ListResult> EtcdStore::list(std::string_view prefix) {
  constexpr int kPage = 1000;
  ListResult out;
  json req = prefix_range(prefix);
  req["limit"] = std::to_string(kPage);
  for (;;) {
    auto r = PODNET_TRY(http_->post("/v3/kv/range", req, Resend::safe));
    if (out.revision == 0) {
      // Later pages read the same snapshot as the first.
      out.revision = header_revision(r);
      req["revision"] = std::to_string(out.revision);
    }
    if (auto kvs = r.find("kvs"); kvs != r.end() && kvs->is_array())
      for (const auto& kv : *kvs) out.items.push_back(PODNET_TRY(to_kv(kv)));
    if (!r.value("more", false) || out.items.empty()) break;
    req["key"] = b64encode(out.items.back().key + std::string(1, '\0'));
  }
  return out;
}

Result<Revision> EtcdStore::put(std::string_view key, std::string_view value, LeaseId lease) {
  auto r = http_->post("/v3/kv/put", put_request(key, value, lease), Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("put {}", key)));
  return header_revision(*r);
}

Result<CondResult> EtcdStore::txn(std::string_view key, json compare, json success) {
  json req = {{"compare", json::array({std::move(compare)})},
              {"success", json::array({std::move(success)})},
              {"failure", json::array({{{"request_range", {{"key", b64encode(key)}}}}})}};
  auto r = http_->post("/v3/kv/txn", req, Resend::unsafe);
  if (!r) return fail(r.error().context(fmt::format("transaction on {}", key)));
  CondResult out;
  out.succeeded = r->value("succeeded", false);
  out.revision = header_revision(*r);
  if (!out.succeeded) {
    auto resps = r->find("responses");
    if (resps != r->end() && resps->is_array() && !resps->empty()) {
      const json& range = (*resps)[0].value("response_range", json::object());
      auto kvs = range.find("kvs");
      if (kvs != range.end() && kvs->is_array() && !kvs->empty())
        out.current = PODNET_TRY(to_kv((*kvs)[0]));
    }
  }
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
  return i64(*r, "deleted") > 0;
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
  return i64(*r, "deleted");
}

Result<LeaseId> EtcdStore::grant_lease(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return fail(fmt::format("grant lease: TTL {}s must be positive", ttl.count()));
  auto r = http_->post("/v3/lease/grant", json{{"TTL", std::to_string(ttl.count())}}, Resend::safe);
  if (!r) return fail(r.error().context("grant lease"));
  if (auto e = r->value("error", std::string()); !e.empty()) return fail("grant lease: " + e);
  LeaseId id = i64(*r, "ID");
  if (id == 0) return fail("grant lease: etcd returned no lease ID");
  return id;
}

Result<std::chrono::seconds> EtcdStore::keep_alive(LeaseId lease) {
  // A bidirectional stream in gRPC; over the gateway one request gives one answer.
  auto r = http_->post("/v3/lease/keepalive", json{{"ID", lease_str(lease)}}, Resend::safe);
  if (!r) return fail(r.error().context(fmt::format("keep lease {} alive", lease)));
  if (auto err = r->find("error"); err != r->end())
    return fail(fmt::format("keep lease {} alive: {}", lease, err->dump()));
  const json& res = r->value("result", json::object());
  return std::chrono::seconds(i64(res, "TTL"));  // absent (0): the lease is gone
}

Result<> EtcdStore::revoke(LeaseId lease) {
  auto r = http_->post("/v3/lease/revoke", json{{"ID", lease_str(lease)}}, Resend::safe);
  if (!r && !mentions(r.error(), "lease not found"))
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
  if (!r && !mentions(r.error(), "has been compacted"))
    return fail(r.error().context(fmt::format("compact at {}", revision)));
  return {};
}

}  // namespace etcd
}  // namespace podnet::store
