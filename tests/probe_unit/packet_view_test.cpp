// Headers as the kernel copies them into trace events -> addresses, ports, flags, direction.
#include <gtest/gtest.h>

#include "podnet/probe/report.hpp"

namespace podnet::probe {
namespace {

std::vector<uint8_t> ipv4(uint8_t proto, std::array<uint8_t, 4> s, std::array<uint8_t, 4> d) {
  std::vector<uint8_t> h(20, 0);
  h[0] = 0x45;
  h[9] = proto;
  std::copy(s.begin(), s.end(), h.begin() + 12);
  std::copy(d.begin(), d.end(), h.begin() + 16);
  return h;
}

std::vector<uint8_t> ports(uint16_t sp, uint16_t dp, uint8_t tcp_flags = 0) {
  std::vector<uint8_t> t(20, 0);
  t[0] = sp >> 8, t[1] = sp & 0xff, t[2] = dp >> 8, t[3] = dp & 0xff;
  t[13] = tcp_flags;
  return t;
}

TEST(DecodePacket, TcpSynWithAddressesAndPorts) {
  auto p = decode_packet(2, ipv4(6, {10, 0, 0, 2}, {10, 0, 1, 3}), ports(40000, 80, 0x02));
  EXPECT_EQ(p.src, "10.0.0.2");
  EXPECT_EQ(p.dst, "10.0.1.3");
  EXPECT_EQ(p.sport, 40000);
  EXPECT_EQ(p.dport, 80);
  EXPECT_EQ(p.proto, "tcp");
  EXPECT_EQ(p.detail, "SYN");
  EXPECT_EQ(classify(p, Protocol::tcp, 40000), Direction::request);
  EXPECT_EQ(classify(p, Protocol::tcp, 40001), Direction::other);
}

TEST(DecodePacket, MasqueradedRequestIsToldByTheProbeDscp) {
  // After masquerade (fully-random) the source port is another; the DSCP is still the probe's.
  auto hdr = ipv4(6, {10, 1, 1, 16}, {192, 168, 0, 2});
  hdr[1] = kProbeDscp << 2;
  auto p = decode_packet(2, hdr, ports(18919, 80, 0x02));
  EXPECT_EQ(p.dscp, kProbeDscp);
  EXPECT_EQ(classify(p, Protocol::tcp, 40000), Direction::request);
  hdr[1] = 0;
  EXPECT_EQ(classify(decode_packet(2, hdr, ports(18919, 80, 0x02)), Protocol::tcp, 40000),
            Direction::other);
  // ECN bits are not part of it.
  hdr[1] = (kProbeDscp << 2) | 0x3;
  EXPECT_EQ(decode_packet(2, hdr, ports(18919, 80, 0x02)).dscp, kProbeDscp);
  // An echo request whose id a masquerade changed.
  auto icmp = ipv4(1, {10, 1, 1, 16}, {192, 168, 0, 2});
  icmp[1] = kProbeDscp << 2;
  std::vector<uint8_t> echo = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
  EXPECT_EQ(classify(decode_packet(2, icmp, echo), Protocol::icmp, 7), Direction::request);
}

TEST(DecodePacket, TcpFlagsNamed) {
  auto hdr = ipv4(6, {1, 1, 1, 1}, {2, 2, 2, 2});
  EXPECT_EQ(decode_packet(2, hdr, ports(1, 2, 0x12)).detail, "SYN-ACK");
  EXPECT_EQ(decode_packet(2, hdr, ports(1, 2, 0x14)).detail, "RST-ACK");
  EXPECT_EQ(decode_packet(2, hdr, ports(1, 2, 0x04)).detail, "RST");
}

TEST(DecodePacket, UdpReplyIsReplyDirection) {
  auto p = decode_packet(2, ipv4(17, {10, 0, 1, 3}, {10, 0, 0, 2}), ports(53, 40000));
  EXPECT_EQ(p.proto, "udp");
  EXPECT_EQ(classify(p, Protocol::udp, 40000), Direction::reply);
  EXPECT_EQ(classify(p, Protocol::tcp, 40000), Direction::other);
}

TEST(DecodePacket, IcmpEchoAndError) {
  std::vector<uint8_t> echo(8, 0);
  echo[0] = 8;
  echo[4] = 0x12, echo[5] = 0x34;
  auto p = decode_packet(2, ipv4(1, {10, 0, 0, 2}, {10, 0, 1, 3}), echo);
  EXPECT_EQ(p.detail, "echo-request");
  EXPECT_EQ(p.icmp_id, 0x1234);
  EXPECT_EQ(classify(p, Protocol::icmp, 0x1234), Direction::request);
  echo[0] = 0;
  EXPECT_EQ(classify(decode_packet(2, ipv4(1, {10, 0, 1, 3}, {10, 0, 0, 2}), echo), Protocol::icmp,
                     0x1234),
            Direction::reply);

  std::vector<uint8_t> err(20, 0);  // only 20 bytes of transport header in an event
  err[0] = 3, err[1] = 3;
  err[8] = 0x45;
  auto e = decode_packet(2, ipv4(1, {10, 0, 1, 3}, {10, 0, 0, 2}), err);
  EXPECT_EQ(e.detail, "port-unreachable");
  EXPECT_EQ(classify(e, Protocol::udp, 40000), Direction::icmp_error);
}

TEST(DecodePacket, Ipv6Tcp) {
  std::vector<uint8_t> h(40, 0);
  h[0] = 0x60;
  h[6] = 6;
  h[8] = 0xfd, h[23] = 1;
  h[24] = 0xfd, h[39] = 2;
  auto p = decode_packet(10, h, ports(40000, 443, 0x02));
  EXPECT_EQ(p.src, "fd00::1");
  EXPECT_EQ(p.dst, "fd00::2");
  EXPECT_EQ(format_packet(p), "[fd00::1]:40000 > [fd00::2]:443 tcp SYN");
  EXPECT_EQ(p.dscp, 0);
  // Traffic class 0x1c (DSCP 7) spans the first two bytes.
  h[0] = 0x61, h[1] = 0xc0;
  EXPECT_EQ(decode_packet(10, h, ports(1, 443, 0x02)).dscp, kProbeDscp);
}

TEST(DecodePacket, TruncatedHeadersGiveNoAddresses) {
  EXPECT_EQ(decode_packet(2, {0x45, 0}, {}).src, "");
  EXPECT_EQ(format_packet(decode_packet(2, {}, {})), "");
}

}  // namespace
}  // namespace podnet::probe
