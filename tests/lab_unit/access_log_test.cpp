#include <gtest/gtest.h>

#include <string>

#include "podnet/lab/access_log.hpp"

namespace podnet::lab {
namespace {

std::string line(int64_t t, uint32_t ip, uint16_t port, std::string_view req, size_t cap = 512) {
  std::string out(cap, '\0');
  out.resize(format_access_line(out.data(), cap, t, ip, port, req, 200));
  return out;
}

constexpr uint32_t kPod = (192u << 24) | (168u << 16) | (1u << 8) | 2u;

TEST(AccessLog, TimePeerAndRequest) {
  EXPECT_EQ(line(1795712280, kPod, 43210, "GET / HTTP/1.1"),
            "2026-11-26T16:58:00Z 192.168.1.2:43210 \"GET / HTTP/1.1\" 200\n");
  EXPECT_EQ(line(0, 0, 0, ""), "1970-01-01T00:00:00Z 0.0.0.0:0 \"\" 200\n");
  EXPECT_EQ(line(951782400, kPod, 1, "x"), "2000-02-29T00:00:00Z 192.168.1.2:1 \"x\" 200\n");
}

TEST(AccessLog, UnprintableQuotedAndLongRequestsAreTamed) {
  EXPECT_EQ(line(0, kPod, 80, "GET /\"\x01\xff"),
            "1970-01-01T00:00:00Z 192.168.1.2:80 \"GET /???\" 200\n");
  std::string l = line(0, kPod, 80, std::string(1000, 'a'));
  EXPECT_EQ(l.size(), std::string("1970-01-01T00:00:00Z 192.168.1.2:80 \"\" 200\n").size() + 200);
  // Never past the buffer.
  EXPECT_EQ(line(1795712280, kPod, 43210, "GET / HTTP/1.1", 10), "2026-11-26");
}

}  // namespace
}  // namespace podnet::lab
