#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 (a port the kernel picks) that plays a hostile or
// scripted etcd: every request goes to a handler that returns the raw bytes to send back, and
// the connection is closed after them (so a "stream" is simply a long body). No root needed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace podnet::store::testing {

struct FakeRequest {
  std::string path;
  std::string headers;  // raw header block
  std::string body;
};

class FakeHttp {
 public:
  // The reply for one request: raw bytes after the status line is written by respond().
  using Handler = std::function<std::string(const FakeRequest&)>;

  explicit FakeHttp(Handler h) : handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error("fake HTTP server: cannot listen on 127.0.0.1");
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttp() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& query = "") const {
    return "etcd://127.0.0.1:" + std::to_string(port_) + (query.empty() ? "" : "?" + query);
  }
  std::vector<FakeRequest> requests() const {
    std::lock_guard lk(mu_);
    return seen_;
  }

  // An HTTP answer with a body (connection closed after it).
  static std::string respond(int status, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
  }
  // A streamed answer without a length: the body ends when the connection closes.
  static std::string stream(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body;
  }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      conns_.emplace_back([this, c] { handle(c); });
    }
  }
  void handle(int c) {
    std::string in;
    char buf[65536];
    size_t header_end = std::string::npos, need = 0;
    for (;;) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, size_t(n));
      if (header_end == std::string::npos &&
          (header_end = in.find("\r\n\r\n")) != std::string::npos) {
        auto cl = in.find("Content-Length: ");
        need = cl < header_end ? std::stoul(in.substr(cl + 16)) : 0;
      }
      if (header_end != std::string::npos && in.size() >= header_end + 4 + need) break;
    }
    if (header_end != std::string::npos) {
      FakeRequest r;
      auto sp = in.find(' ');
      r.path = in.substr(sp + 1, in.find(' ', sp + 1) - sp - 1);
      r.headers = in.substr(0, header_end);
      r.body = in.substr(header_end + 4, need);
      {
        std::lock_guard lk(mu_);
        seen_.push_back(r);
      }
      std::string out = handler_(r);
      for (size_t off = 0; off < out.size() && !stop_;) {
        ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += size_t(n);
      }
    }
    ::close(c);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;
  mutable std::mutex mu_;
  std::vector<FakeRequest> seen_;
};

}  // namespace podnet::store::testing
