#include "etcd_http.hpp"

#include <algorithm>
#include <chrono>
#include <vector>
#include <thread>

#include "etcd_json.hpp"
#include "podnet/common/files.hpp"
#include "podnet/common/json_bounded.hpp"
#include "podnet/common/log.hpp"

namespace podnet::store::etcd {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;


// Failures where the request cannot have reached etcd.
bool before_delivery(CURLcode rc, CURL* h) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
      return true;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connected = 0;
      curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &connected);
      curl_off_t tcp = 0;
      curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &tcp);
      return tcp == 0 || connected == 0;
    }
    default:
      return false;
  }
}

// The TLS handshake failed on certificates (ours refused, theirs not trusted, files unusable):
// nothing reached etcd, and asking again will not help.
bool tls_refused(CURLcode rc, std::string_view detail) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
      return true;
    default:
      // A refused client certificate shows as an alert on the first read (TLS 1.3).
      return detail.find("alert") != std::string_view::npos &&
             detail.find("certificate") != std::string_view::npos;
  }
}

}  // namespace

size_t BoundedBody::write(char* p, size_t size, size_t n, void* self) {
  auto* b = static_cast<BoundedBody*>(self);
  size_t len = size * n;
  if (len > b->limit - std::min(b->limit, b->data.size())) {
    b->overflow = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  b->data.append(p, len);
  return len;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Http::Http(EtcdOptions opts) : opts_(std::move(opts)) {
  curl_init_once();
  if (!opts_.tls)
    for (const auto& ep : opts_.endpoints)
      if (!is_loopback_host(ep.host)) {
        // Only reached with an explicit insecure=1 (opening refuses otherwise): the operator
        // chose it, so it is said once at info level (podnetd's log) rather than as a warning
        // on every podnetctl command of an etcd lab, whose store sits on a private switch.
        log::info("etcd {}: plain HTTP to a host that is not loopback (insecure=1): the "
                  "cluster's data{} cross the network in clear",
                  endpoint_name(size_t(&ep - opts_.endpoints.data())),
                  opts_.user.empty() ? "" : " and the etcd password");
        break;
      }
  handle_ = curl_easy_init();
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");
}

Http::~Http() {
  if (handle_) curl_easy_cleanup(handle_);
  curl_slist_free_all(headers_);
}

std::string Http::endpoint_name(size_t i) const {
  const auto& ep = opts_.endpoints[i];
  bool v6 = ep.host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", ep.host, v6 ? "]" : "", ep.port);
}

std::string Http::url(size_t i, std::string_view path) const {
  return fmt::format("{}://{}{}", opts_.tls ? "https" : "http", endpoint_name(i), path);
}

std::string Http::describe() const {
  std::string s = "etcd://";
  for (size_t i = 0; i < opts_.endpoints.size(); ++i) s += (i ? "," : "") + endpoint_name(i);
  return s;
}

void Http::setup(CURL* h) const {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 10L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (opts_.tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!opts_.cacert.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts_.cacert.c_str());
    if (!opts_.cert.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, opts_.cert.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, opts_.key.c_str());
    }
  }
}

Result<std::string> Http::authenticate() {
  // With auth_mu_ held. The password is read on every authentication so a rotated file is
  // picked up; etcd answers {"token": ...} that goes into the Authorization header as is.
  auto text = read_file(opts_.password_file);
  if (!text) return fail(text.error().context("etcd password file"));
  if (text->size() > 4096)
    return fail(fmt::format("etcd password file {}: larger than 4 KiB", opts_.password_file));
  std::string password = text->substr(0, text->find('\n'));
  if (!password.empty() && password.back() == '\r') password.pop_back();
  const std::string payload = nlohmann::json{{"name", opts_.user}, {"password", password}}.dump();
  auto r = post_once("/v3/auth/authenticate", payload, Resend::safe, "");
  if (!r) return fail(r.error().context(fmt::format("etcd authenticate as {}", opts_.user)));
  auto tok = str(*r, "token");
  if (!tok || tok->empty() || tok->find_first_of("\r\n") != std::string::npos)
    return fail(ErrorKind::invalid_answer,
                fmt::format("etcd authenticate as {}: the answer holds no usable token", opts_.user));
  token_ = *tok;
  return token_;
}

Result<std::string> Http::token() {
  if (opts_.user.empty()) return std::string();
  std::lock_guard lk(auth_mu_);
  if (!token_.empty()) return token_;
  return authenticate();
}

Result<std::string> Http::refresh_token(const std::string& stale) {
  if (opts_.user.empty()) return std::string();
  std::lock_guard lk(auth_mu_);
  if (token_ != stale && !token_.empty()) return token_;
  token_.clear();
  return authenticate();
}

Result<nlohmann::json> Http::post(std::string_view path, const nlohmann::json& body, Resend resend) {
  const std::string payload = body.dump();
  std::string auth = PODNET_TRY(token());
  auto r = post_once(path, payload, resend, auth);
  // An expired or revoked token (etcd restarted, token TTL): authenticate again, once. The
  // request was refused before being applied, so resending even a write is safe.
  if (!r && r.error().is(ErrorKind::unauthenticated) && !opts_.user.empty()) {
    auth = PODNET_TRY(refresh_token(auth));
    r = post_once(path, payload, resend, auth);
  }
  return r;
}

Result<nlohmann::json> Http::post_once(std::string_view path, const std::string& payload,
                                       Resend resend, const std::string& auth) {
  std::lock_guard lk(mu_);
  if (!handle_) return fail("etcd: curl_easy_init failed");
  curl_slist* headers = nullptr;
  for (curl_slist* h = headers_; h; h = h->next) headers = curl_slist_append(headers, h->data);
  if (!auth.empty()) headers = curl_slist_append(headers, ("Authorization: " + auth).c_str());
  struct FreeList {
    curl_slist* l;
    ~FreeList() { curl_slist_free_all(l); }
  } free_headers{headers};
  const size_t n = opts_.endpoints.size();
  const auto deadline = Clock::now() + opts_.timeout;
  std::vector<std::string> last_error(n);  // per endpoint, for the final message
  std::vector<bool> hopeless(n, false);    // TLS refused: retrying this endpoint is pointless
  milliseconds backoff{50};
  const size_t start = preferred_.load();
  for (size_t tries = 0;; ++tries) {
    if (std::all_of(hopeless.begin(), hopeless.end(), [](bool b) { return b; })) break;
    auto now = Clock::now();
    if (tries > 0 && tries % n == 0) {  // a whole round failed: pause before the next
      if (now + backoff >= deadline) break;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, milliseconds(1000));
      now = Clock::now();
    }
    if (now >= deadline) break;
    const size_t ep = (start + tries) % n;
    if (hopeless[ep]) continue;
    auto remaining = std::chrono::duration_cast<milliseconds>(deadline - now);
    // A request that may be resent gets at most half the budget (but 1 s at least) on one
    // member, so that a hung member (lost leader, partition) leaves time for another.
    auto budget = remaining;
    if (resend == Resend::safe && n > 1)
      budget = std::min(remaining, std::max(remaining / 2, milliseconds(1000)));
    BoundedBody answer{{}, opts_.max_answer_bytes};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL* h = handle_;
    curl_easy_reset(h);
    setup(h);
    const std::string target = url(ep, path);
    curl_easy_setopt(h, CURLOPT_URL, target.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &BoundedBody::write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long>(1, budget.count())));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::clamp<long>(remaining.count(), 1, 1500)));
    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    if (answer.overflow)  // asking another member would bring the same answer
      return fail(ErrorKind::invalid_answer,
                  fmt::format("etcd {} {}: answer larger than {} bytes (option max_answer_mb)",
                              endpoint_name(ep), path, opts_.max_answer_bytes));
    if (rc != CURLE_OK) {
      std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      last_error[ep] = why;
      bool refused = tls_refused(rc, why);
      hopeless[ep] = refused;
      if (resend == Resend::unsafe && !refused && !before_delivery(rc, h))
        return fail(fmt::format("etcd {} {}: {} (the request may have been applied)",
                                endpoint_name(ep), path, why));
      continue;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    auto json = parse_json_bounded(answer.data, json_default_max_depth, opts_.max_answer_bytes,
                                   "etcd answer");
    if (status == 200) {
      if (json && json->is_object()) {
        preferred_.store(ep);
        return std::move(*json);
      }
      return fail(ErrorKind::invalid_answer,
                  fmt::format("etcd {} {}: {}", endpoint_name(ep), path,
                              json ? "answer is not a JSON object" : json.error().message));
    }
    std::string msg = fmt::format("HTTP {}: {}", status, answer.data.substr(0, 200));
    int code = 0;
    if (json && json->is_object()) {
      if (auto e = str(*json, "error"); e && !e->empty()) msg = *e;
      else if (auto m = str(*json, "message"); m && !m->empty()) msg = *m;
      if (auto c = i64(*json, "code"); c && *c >= 0 && *c < 100) code = int(*c);
    }
    Failure f = classify(status, code, msg);
    if (f.unavailable && (resend == Resend::safe || f.not_applied)) {
      last_error[ep] = msg;
      continue;
    }
    return fail(f.kind, fmt::format("etcd {} {}: {}", endpoint_name(ep), path, msg));
  }
  std::string errors;
  for (size_t i = 0; i < n; ++i)
    if (!last_error[i].empty())
      errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", endpoint_name(i), last_error[i]);
  if (std::all_of(hopeless.begin(), hopeless.end(), [](bool b) { return b; }))
    return fail(fmt::format("etcd {}: TLS refused by every endpoint ({})", path, errors));
  return fail(ErrorKind::unavailable,
              fmt::format("etcd {}: no endpoint answered within {} ms ({})", path,
                          opts_.timeout.count(), errors.empty() ? "not tried" : errors));
}

}  // namespace podnet::store::etcd
