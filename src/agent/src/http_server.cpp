#include "http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <list>

#include <fmt/format.h>

namespace podnet::agent {

// Open connections, oldest first, with whether each is inside a request (being answered).
struct HttpServer::Conns {
  struct Conn {
    MHD_socket fd;
    bool busy = false;
    bool evicted = false;
  };
  std::list<Conn> list;  // accept order; an idle connection is moved to the back when it idles
};

struct HttpAccess {
  using Conn = HttpServer::Conns::Conn;

  static std::list<Conn>::iterator* slot(MHD_Connection* c) {
    const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? static_cast<std::list<Conn>::iterator*>(i->socket_context) : nullptr;
  }

  static void notify(void* cls, MHD_Connection* c, void** socket_context,
                     enum MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<HttpServer*>(cls);
    auto& list = self->conns_->list;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      list.push_back(Conn{i ? i->connect_fd : MHD_INVALID_SOCKET});
      *socket_context = new std::list<Conn>::iterator(std::prev(list.end()));
      evict_idle(*self);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      auto* it = static_cast<std::list<Conn>::iterator*>(*socket_context);
      if (it) {
        list.erase(*it);
        delete it;
        *socket_context = nullptr;
      }
    }
  }

  // Over the soft limit: shut down the oldest connections that are not inside a request. MHD
  // sees the shutdown as the client leaving and frees the slot; a probe that sent its request
  // is busy and is never picked.
  static void evict_idle(HttpServer& self) {
    auto& list = self.conns_->list;
    size_t open = 0;
    for (const auto& c : list) open += c.evicted ? 0 : 1;
    for (auto it = list.begin(); open > self.limits_.idle_soft_limit && it != list.end(); ++it) {
      if (it->busy || it->evicted || it->fd == MHD_INVALID_SOCKET) continue;
      ::shutdown(it->fd, SHUT_RDWR);
      it->evicted = true;
      --open;
    }
  }

  static void completed(void*, MHD_Connection* c, void**, MHD_RequestTerminationCode) {
    // Back to idle (keep-alive): the newest idle one, evicted last.
    if (auto* it = slot(c)) {
      (*it)->busy = false;
    }
  }

  static MHD_Result handle(void* cls, MHD_Connection* c, const char* url, const char* method,
                           const char*, const char*, size_t* upload_size, void**) {
    auto* self = static_cast<HttpServer*>(cls);
    if (auto* it = slot(c)) {
      (*it)->busy = true;
      auto& list = self->conns_->list;
      list.splice(list.end(), list, *it);  // most recently active: evicted last
    }
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

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ListenAddr& addr, HttpHandler h,
                                                      HttpLimits limits) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->handler_ = std::move(h);
  s->limits_ = limits;
  s->conns_ = std::make_unique<Conns>();
  sockaddr_storage ss{};
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
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
  s->d_ = MHD_start_daemon(
      flags, addr.port, nullptr, nullptr, &HttpAccess::handle, s.get(), MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&ss), MHD_OPTION_CONNECTION_LIMIT, limits.max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      size_t(32 * 1024), MHD_OPTION_NOTIFY_CONNECTION, &HttpAccess::notify, s.get(),
      MHD_OPTION_NOTIFY_COMPLETED, &HttpAccess::completed, s.get(), MHD_OPTION_END);
  if (!s->d_) return fail_errno(fmt::format("listen on {} for /metrics", addr.str()));
  return s;
}

HttpServer::~HttpServer() {
  if (d_) MHD_stop_daemon(d_);
}

uint16_t HttpServer::port() const {
  const MHD_DaemonInfo* i = MHD_get_daemon_info(d_, MHD_DAEMON_INFO_BIND_PORT);
  return i ? i->port : 0;
}

}  // namespace podnet::agent
