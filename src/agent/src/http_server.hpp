#pragma once
// /metrics /healthz /readyz over libmicrohttpd, driven by the agent's own epoll loop (no
// thread of MHD's own): add fd() to the loop and call run() when it is readable.
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
using HttpHandler = std::function<HttpResponse(std::string_view method, std::string_view path)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const ListenAddr& addr, HttpHandler h);
  ~HttpServer();
  int fd() const;  // MHD's epoll fd
  void run();      // handles whatever is ready, never blocks

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

 private:
  HttpServer() = default;
  MHD_Daemon* d_ = nullptr;
  HttpHandler handler_;
  friend struct HttpAccess;
};

}  // namespace podnet::agent
