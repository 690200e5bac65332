// podnetd's HTTP endpoint under a flood of idle and half-sent connections (any local user can
// open them): /healthz keeps answering, also with more idle sockets than the connection limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "http_server.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::agent {
namespace {

using namespace std::chrono_literals;

UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return {};
  return fd;
}

// GET path on a fresh connection; the whole answer, or "" when none came within `within`.
std::string get(uint16_t port, const std::string& path, std::chrono::milliseconds within) {
  UniqueFd fd = connect_to(port);
  if (!fd) return "";
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) return "";
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) <= 0) return "";
    char buf[4096];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return "";
    if (n == 0) return out;
    out.append(buf, size_t(n));
  }
}

TEST(HttpFlood, IdleAndSlowClientsNeverTakeHealthzDown) {
  HttpLimits limits;  // the daemon's defaults
  auto srv = HttpServer::start(
      ListenAddr{*net::IpAddress::parse("127.0.0.1"), 0},
      [](std::string_view, std::string_view path) {
        return HttpResponse{200, "text/plain", std::string(path) + " ok\n"};
      },
      limits);
  ASSERT_TRUE(srv) << srv.error().message;
  const uint16_t port = (*srv)->port();
  ASSERT_NE(port, 0);
  ASSERT_NE(get(port, "/healthz", 1s).find("/healthz ok"), std::string::npos);

  // Four times the hard limit of idle sockets, and some that send half a request.
  std::vector<UniqueFd> flood;
  for (unsigned i = 0; i < 4 * limits.max_connections; ++i) {
    UniqueFd fd = connect_to(port);
    ASSERT_TRUE(fd) << "connect " << i;
    if (i % 8 == 0) {
      std::string half = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
      ASSERT_EQ(::send(fd.get(), half.data(), half.size(), MSG_NOSIGNAL), ssize_t(half.size()));
    }
    flood.push_back(std::move(fd));
  }
  for (int round = 0; round < 5; ++round) {
    std::string r = get(port, "/healthz", 1s);
    EXPECT_NE(r.find("200"), std::string::npos) << "round " << round << ": " << r;
    EXPECT_NE(r.find("/healthz ok"), std::string::npos) << "round " << round;
    // The flood goes on between probes.
    for (int i = 0; i < 40; ++i) flood.push_back(connect_to(port));
  }
}

}  // namespace
}  // namespace podnet::agent
