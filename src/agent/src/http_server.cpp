#include "http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>

#include <fmt/format.h>

namespace podnet::agent {

struct HttpAccess {
  static MHD_Result handle(void* cls, MHD_Connection* c, const char* url, const char* method,
                           const char*, const char*, size_t* upload_size, void**) {
    auto* self = static_cast<HttpServer*>(cls);
    // Bodies are never read: drop whatever a client uploads.
    if (upload_size && *upload_size) {
      *upload_size = 0;
      return MHD_YES;
    }
    HttpResponse r;
    try {
      r = self->handler_(method ? method : "", url ? url : "");
    } catch (const std::exception& e) {
      r = {500, "text/plain; charset=utf-8", fmt::format("internal error: {}\n", e.what())};
    }
    MHD_Response* resp =
        MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r.content_type.c_str());
    MHD_Result ok = MHD_queue_response(c, unsigned(r.status), resp);
    MHD_destroy_response(resp);
    return ok;
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddr& addr, HttpHandler h) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->handler_ = std::move(h);
  sockaddr_storage ss{};
  unsigned flags = MHD_USE_EPOLL;
  if (addr.ip.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(addr.port);
    std::memcpy(&sa->sin_addr, addr.ip.data(), 4);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(addr.port);
    std::memcpy(&sa->sin6_addr, addr.ip.data(), 16);
    flags |= MHD_USE_IPv6;
  }
  // A few scrapers and probes at a time; small limits keep the agent's memory small.
  s->d_ = MHD_start_daemon(flags, addr.port, nullptr, nullptr, &HttpAccess::handle, s.get(),
                           MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&ss),
                           MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                           MHD_OPTION_CONNECTION_MEMORY_LIMIT, size_t(32 * 1024), MHD_OPTION_END);
  if (!s->d_) return fail_errno(fmt::format("listen on {} for /metrics", addr.str()));
  return s;
}

HttpServer::~HttpServer() {
  if (d_) MHD_stop_daemon(d_);
}

int HttpServer::fd() const {
  const MHD_DaemonInfo* i = MHD_get_daemon_info(d_, MHD_DAEMON_INFO_EPOLL_FD);
  return i ? i->epoll_fd : -1;
}

void HttpServer::run() {
  MHD_run(d_);
}

}  // namespace podnet::agent
