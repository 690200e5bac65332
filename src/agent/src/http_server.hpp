#pragma once
// /metrics /healthz /readyz over libmicrohttpd, on MHD's own thread: the agent's loop may block
// on the store for seconds and must not take the probes with it, and MHD's connection timeouts
// only run when MHD runs. The handler is called on that thread: it must only read state the
// agent publishes for it under a lock (never the agent's live members).
//
// A slow or idle client must never take /healthz down: connections that have not sent a
// complete request are evicted, oldest first, once more than kIdleSoftLimit are open, so a
// flood of idle sockets (any local user can open them) only ever costs its own connections.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "podnet/agent/options.hpp"
#include "podnet/common/error.hpp"

struct MHD_Daemon;

namespace podnet::agent {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
// Called on the HTTP thread; must be thread-safe.
using HttpHandler = std::function<HttpResponse(std::string_view method, std::string_view path)>;

struct HttpLimits {
  unsigned max_connections = 64;  // MHD's hard limit (then new clients wait in the backlog)
  size_t idle_soft_limit = 32;    // above this many open connections, evict the oldest idle
  unsigned idle_timeout_s = 10;   // MHD closes a connection silent for this long
};

class HttpServer {
 public:
  // addr.port 0: a free port (see port()).
  static Result<std::unique_ptr<HttpServer>> start(const ListenAddr& addr, HttpHandler h,
                                                   HttpLimits limits = {});
  ~HttpServer();  // stops the thread and closes every connection
  uint16_t port() const;

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  HttpServer() = default;
  struct Conns;
  MHD_Daemon* d_ = nullptr;
  HttpHandler handler_;
  HttpLimits limits_;
  std::unique_ptr<Conns> conns_;  // touched only on MHD's thread
  friend struct HttpAccess;
};

}  // namespace podnet::agent
