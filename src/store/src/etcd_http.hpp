#pragma once
// HTTP(S) transport to the etcd v3 JSON gateway: endpoint list with failover (the endpoint that
// answered last is tried first), TLS client certificates, per-call deadline.
#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "podnet/store/url.hpp"

namespace podnet::store::etcd {

// Whether a request may be sent again after it possibly reached etcd: reads and lease
// refreshes may; writes fail over only when the request surely was not delivered.
enum class Resend { safe, unsafe };

class Http {
 public:
  explicit Http(EtcdOptions opts);
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // POSTs `body` to `path` ("/v3/kv/range") and returns the parsed JSON answer. Tries the
  // endpoints in turn (from the preferred one) while they fail to answer, until the deadline.
  // etcd's own errors ({"error": ..., "code": N}) come back as errors naming the call, with
  // their kind (classify()). An answer larger than max_answer_bytes, nested too deep, not JSON
  // or not an object is an invalid_answer error. With a user, the call carries the auth token
  // and authenticates again once when etcd no longer knows it.
  Result<nlohmann::json> post(std::string_view path, const nlohmann::json& body, Resend resend);

  // The Authorization header value ("" without auth), authenticating first if none is held.
  Result<std::string> token();
  // Drops `stale` (a token etcd refused) and authenticates again; no-op if already replaced.
  Result<std::string> refresh_token(const std::string& stale);

  const EtcdOptions& options() const { return opts_; }
  std::string url(size_t endpoint, std::string_view path) const;
  std::string endpoint_name(size_t endpoint) const;
  size_t preferred() const { return preferred_.load(); }
  void set_preferred(size_t i) { preferred_.store(i); }
  // Options every request shares (TLS files, no signals, keepalive); not the URL.
  void setup(CURL* h) const;
  std::string describe() const;

 private:
  Result<nlohmann::json> post_once(std::string_view path, const std::string& payload,
                                   Resend resend, const std::string& auth);
  Result<std::string> authenticate();

  EtcdOptions opts_;
  std::atomic<size_t> preferred_{0};
  std::mutex auth_mu_;  // guards token_; held while authenticating
  std::string token_;
  std::mutex mu_;      // guards handle_ (its connection cache)
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
};

// curl_global_init, once per process.
void curl_init_once();

// Collects an answer body up to a limit: past it the transfer is aborted and `overflow` set.
struct BoundedBody {
  std::string data;
  size_t limit = 0;
  bool overflow = false;
  static size_t write(char* p, size_t size, size_t n, void* self);
};

}  // namespace podnet::store::etcd
