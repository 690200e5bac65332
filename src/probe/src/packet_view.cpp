// Decoding of the packet headers an nftables trace event carries (the kernel copies at most 40
// bytes of network and 20 of transport header): enough for addresses, ports, TCP flags and ICMP
// type and id, and for an ICMP error the start of the quoted packet.
#include <linux/netfilter.h>

#include <array>

#include <fmt/format.h>

#include "podnet/net/ip.hpp"
#include "podnet/probe/report.hpp"

namespace podnet::probe {

namespace {
uint16_t be16(const std::vector<uint8_t>& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

std::string tcp_flags(uint8_t f) {
  // The names a reader of tcpdump expects, most telling first.
  bool syn = f & 0x02, ack = f & 0x10, rst = f & 0x04, fin = f & 0x01;
  if (syn && ack) return "SYN-ACK";
  if (syn) return "SYN";
  if (rst) return ack ? "RST-ACK" : "RST";
  if (fin) return ack ? "FIN-ACK" : "FIN";
  if (ack) return "ACK";
  return fmt::format("flags={:#x}", f);
}

std::string icmp4_name(uint8_t type, uint8_t code) {
  switch (type) {
    case 0:
      return "echo-reply";
    case 8:
      return "echo-request";
    case 11:
      return "time-exceeded";
    case 3: {
      static constexpr std::array<const char*, 14> codes = {
          "net-unreachable",      "host-unreachable", "protocol-unreachable",
          "port-unreachable",     "frag-needed",      "source-route-failed",
          "net-unknown",          "host-unknown",     "host-isolated",
          "net-prohibited",       "host-prohibited",  "net-tos-unreachable",
          "host-tos-unreachable", "admin-prohibited"};
      return code < codes.size() ? codes[code] : fmt::format("unreachable-code-{}", code);
    }
    default:
      return fmt::format("icmp-type-{}", type);
  }
}

std::string icmp6_name(uint8_t type, uint8_t code) {
  switch (type) {
    case 128:
      return "echo-request";
    case 129:
      return "echo-reply";
    case 2:
      return "packet-too-big";
    case 3:
      return "time-exceeded";
    case 1: {
      static constexpr std::array<const char*, 7> codes = {
          "no-route",         "admin-prohibited", "beyond-scope", "addr-unreachable",
          "port-unreachable", "policy-fail",      "reject-route"};
      return code < codes.size() ? codes[code] : fmt::format("unreachable-code-{}", code);
    }
    default:
      return fmt::format("icmpv6-type-{}", type);
  }
}

bool icmp_is_error(bool v6, uint8_t type) {
  return v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 11 || type == 12);
}

std::string addr(net::Family f, const uint8_t* p) {
  return net::IpAddress::from_bytes(f, p).str();
}
}  // namespace

PacketView decode_packet(uint8_t nfproto, const std::vector<uint8_t>& nh,
                         const std::vector<uint8_t>& th) {
  PacketView p;
  int l4 = -1;
  bool v6 = nfproto == NFPROTO_IPV6;
  if (!v6 && nh.size() >= 20 && (nh[0] >> 4) == 4) {
    l4 = nh[9];
    p.dscp = static_cast<uint8_t>(nh[1] >> 2);
    p.src = addr(net::Family::v4, &nh[12]);
    p.dst = addr(net::Family::v4, &nh[16]);
  } else if (v6 && nh.size() >= 40 && (nh[0] >> 4) == 6) {
    l4 = nh[6];  // extension headers are not followed: the probe sends none
    p.dscp = static_cast<uint8_t>((((nh[0] & 0x0f) << 4) | (nh[1] >> 4)) >> 2);
    p.src = addr(net::Family::v6, &nh[8]);
    p.dst = addr(net::Family::v6, &nh[24]);
  } else {
    return p;
  }
  switch (l4) {
    case 6:
      p.proto = "tcp";
      if (th.size() >= 14) p.detail = tcp_flags(th[13]);
      break;
    case 17:
      p.proto = "udp";
      break;
    case 1:
      p.proto = "icmp";
      break;
    case 58:
      p.proto = "icmpv6";
      break;
    default:
      p.proto = std::to_string(l4);
  }
  if ((l4 == 6 || l4 == 17) && th.size() >= 4) {
    p.sport = be16(th, 0);
    p.dport = be16(th, 2);
  }
  if ((l4 == 1 || l4 == 58) && th.size() >= 8) {
    bool is6 = l4 == 58;
    p.detail = is6 ? icmp6_name(th[0], th[1]) : icmp4_name(th[0], th[1]);
    if (!icmp_is_error(is6, th[0])) {
      p.icmp_id = be16(th, 4);
    } else if (!is6 && th.size() >= 8 + 20 && (th[8] >> 4) == 4) {
      // The quoted packet: only as much as the event carried (usually its first 12 bytes).
      size_t ihl = (th[8] & 0x0f) * 4u;
      p.inner_src = addr(net::Family::v4, &th[8 + 12]);
      p.inner_dst = addr(net::Family::v4, &th[8 + 16]);
      if (th.size() >= 8 + ihl + 4) {
        p.inner_sport = be16(th, 8 + ihl);
        p.inner_dport = be16(th, 8 + ihl + 2);
      }
    }
  }
  return p;
}

Direction classify(const PacketView& p, Protocol proto, uint16_t port) {
  bool icmp = p.proto == "icmp" || p.proto == "icmpv6";
  if (icmp && p.detail != "echo-request" && p.detail != "echo-reply") return Direction::icmp_error;
  switch (proto) {
    case Protocol::tcp:
    case Protocol::udp:
      if (p.proto != to_string(proto)) return Direction::other;
      // The probe's DSCP: the request after a masquerade gave it another source port.
      if (p.sport == port || p.dscp == kProbeDscp) return Direction::request;
      if (p.dport == port) return Direction::reply;
      return Direction::other;
    case Protocol::icmp:
      if (p.detail == "echo-request" && p.dscp == kProbeDscp) return Direction::request;
      if (!icmp || p.icmp_id != port) return Direction::other;
      if (p.detail == "echo-request") return Direction::request;
      if (p.detail == "echo-reply") return Direction::reply;
      return Direction::other;
  }
  return Direction::other;
}

}  // namespace podnet::probe
