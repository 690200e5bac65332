#include "podnetd_client.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <mutex>

#include <fmt/format.h>

namespace podnet::ctl {
namespace {

struct Transfer {
  const sys::Netns* ns = nullptr;
  Error open_error;
  bool open_failed = false;
  std::string body;
};

constexpr size_t kMaxBody = 4 << 20;  // /status is a few hundred bytes; /metrics a few KiB

size_t collect(char* p, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  if (t->body.size() + size * n > kMaxBody) return 0;  // aborts the transfer
  t->body.append(p, size * n);
  return size * n;
}

// curl asks for its socket here: made inside the node's namespace, it stays bound there.
curl_socket_t open_in_netns(void* self, curlsocktype, curl_sockaddr* a) {
  auto* t = static_cast<Transfer*>(self);
  auto fd = sys::run_here_in(*t->ns, [&]() -> Result<int> {
    int s = ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (s < 0) return fail_errno("socket");
    return s;
  });
  if (!fd) {
    t->open_failed = true;
    t->open_error = fd.error();
    return CURL_SOCKET_BAD;
  }
  return *fd;
}

}  // namespace

Result<HttpAnswer> podnetd_get(const sys::Netns& ns, const agent::ListenAddr& addr,
                               std::string_view path, std::chrono::milliseconds timeout) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), &curl_easy_cleanup);
  if (!h) return fail("curl_easy_init failed");
  const std::string url = fmt::format("http://{}{}", addr.str(), path);
  Transfer t{.ns = &ns};
  char err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_NOPROXY, "*");  // never a proxy from the environment
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, long(timeout.count()));
  curl_easy_setopt(h.get(), CURLOPT_OPENSOCKETFUNCTION, open_in_netns);
  curl_easy_setopt(h.get(), CURLOPT_OPENSOCKETDATA, &t);
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) {
    std::string why = t.open_failed ? t.open_error.message : (*err ? err : curl_easy_strerror(rc));
    return fail(fmt::format("podnetd not answering on {} in {}: {}", addr.str(), ns.path(), why));
  }
  HttpAnswer a;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &a.status);
  a.body = std::move(t.body);
  return a;
}

}  // namespace podnet::ctl
