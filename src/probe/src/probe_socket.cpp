#include "probe_socket.hpp"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "podnet/sys/netns.hpp"

namespace podnet::probe {

namespace {
constexpr char kPayload[] = "podnet-trace-probe";

socklen_t to_sockaddr(const net::IpAddress& a, uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  std::memcpy(&s->sin6_addr, a.data(), 16);
  return sizeof(sockaddr_in6);
}

std::string addr_text(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return net::IpAddress::from_bytes(net::Family::v4,
                                      reinterpret_cast<const uint8_t*>(
                                          &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr))
        .str();
  if (sa->sa_family == AF_INET6)
    return net::IpAddress::from_bytes(net::Family::v6,
                                      reinterpret_cast<const uint8_t*>(
                                          &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr))
        .str();
  return "";
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return 0;
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// ICMP error names as decode_packet gives them, for (family, type, code) of an error queue entry.
std::string icmp_error_name(bool v6, uint8_t type, uint8_t code) {
  std::vector<uint8_t> nh(v6 ? 40 : 20, 0), th(8, 0);
  nh[0] = v6 ? 0x60 : 0x45;
  nh[v6 ? 6 : 9] = v6 ? 58 : 1;
  th[0] = type;
  th[1] = code;
  auto name = decode_packet(v6 ? 10 : 2, nh, th).detail;
  std::replace(name.begin(), name.end(), '-', ' ');
  return name;
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
}  // namespace

Result<ProbeSocket> ProbeSocket::open_in(const sys::Netns& ns, Protocol proto,
                                         const std::optional<net::IpAddress>& source,
                                         const net::IpAddress& dst, uint16_t port) {
  bool v6 = !dst.is_v4();
  int af = v6 ? AF_INET6 : AF_INET;
  auto fd = sys::run_in(ns, [&]() -> Result<UniqueFd> {
    int type = proto == Protocol::tcp   ? SOCK_STREAM
               : proto == Protocol::udp ? SOCK_DGRAM
                                        : SOCK_RAW;
    int protocol = proto != Protocol::icmp ? 0 : v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    UniqueFd s(::socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (!s) return fail_errno(fmt::format("open {} probe socket", to_string(proto)));
    return s;
  });
  if (!fd) return fail(fd.error().context("probe in " + ns.path()));
  int s = fd->get();
  int one = 1;
  // ICMP errors about the probe (unreachable, prohibited) with their sender, on the error queue.
  if (v6)
    ::setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
  else
    ::setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
  // The probe's DSCP marks its request in every namespace, also after a masquerade.
  const int tos = kProbeDscp << 2;
  if (v6)
    ::setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  else
    ::setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  if (proto == Protocol::tcp) {
    // Close with RST: the probe leaves no connection behind on either end.
    linger lg{1, 0};
    ::setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  if (source || proto != Protocol::icmp) {
    sockaddr_storage ss{};
    socklen_t len;
    if (source)
      len = to_sockaddr(*source, 0, ss);
    else
      len = to_sockaddr(v6 ? *net::IpAddress::parse("::") : net::IpAddress(), 0, ss);
    if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) < 0)
      return fail_errno(fmt::format("bind probe socket to {}", source ? source->str() : "any"));
  }
  uint16_t match = 0;
  if (proto == Protocol::icmp) {
    std::random_device rd;
    match = static_cast<uint16_t>(1 + rd() % 65535);
  } else {
    match = bound_port(s);
    if (!match) return fail_errno("read the probe socket's port");
  }
  return ProbeSocket(std::move(*fd), proto, dst, port, match);
}

short ProbeSocket::poll_events() const {
  return connecting_ ? POLLOUT : POLLIN;
}

std::string ProbeSocket::local_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "";
  return addr_text(reinterpret_cast<sockaddr*>(&ss));
}

std::optional<Answer> ProbeSocket::send() {
  sockaddr_storage ss{};
  socklen_t len = to_sockaddr(dst_, proto_ == Protocol::icmp ? 0 : port_, ss);
  auto local = [](int err) { return Answer{Answer::Kind::local_error, std::strerror(err), ""}; };
  switch (proto_) {
    case Protocol::tcp:
      if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0)
        return Answer{Answer::Kind::syn_ack, "", dst_.str()};
      if (errno != EINPROGRESS) return local(errno);
      connecting_ = true;
      return std::nullopt;
    case Protocol::udp:
      if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) return local(errno);
      if (::send(fd_.get(), kPayload, sizeof kPayload - 1, 0) < 0) return local(errno);
      return std::nullopt;
    case Protocol::icmp: {
      uint8_t pkt[8 + sizeof kPayload - 1] = {};
      pkt[0] = dst_.is_v4() ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
      pkt[4] = static_cast<uint8_t>(match_port_ >> 8);
      pkt[5] = static_cast<uint8_t>(match_port_);
      pkt[7] = 1;  // sequence
      std::memcpy(pkt + 8, kPayload, sizeof kPayload - 1);
      if (dst_.is_v4()) {  // the kernel sums ICMPv6 itself
        uint16_t c = checksum(pkt, sizeof pkt);
        pkt[2] = static_cast<uint8_t>(c >> 8);
        pkt[3] = static_cast<uint8_t>(c);
      }
      if (::sendto(fd_.get(), pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&ss), len) < 0)
        return local(errno);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<Answer> ProbeSocket::read_error_queue() {
  char data[512], control[512];
  sockaddr_storage from{};
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(fd_.get(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return std::nullopt;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
    bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
    if (!v4 && !v6) continue;
    auto* ee = reinterpret_cast<sock_extended_err*>(CMSG_DATA(c));
    if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
      auto* off = SO_EE_OFFENDER(ee);
      return Answer{Answer::Kind::icmp_error,
                    icmp_error_name(ee->ee_origin == SO_EE_ORIGIN_ICMP6, ee->ee_type, ee->ee_code),
                    off->sa_family == AF_UNSPEC ? "" : addr_text(off)};
    }
    return Answer{Answer::Kind::local_error, std::strerror(static_cast<int>(ee->ee_errno)), ""};
  }
  return std::nullopt;
}

std::optional<Answer> ProbeSocket::read_icmp() {
  uint8_t buf[1500];
  sockaddr_storage from{};
  socklen_t flen = sizeof from;
  ssize_t n = ::recvfrom(fd_.get(), buf, sizeof buf, MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &flen);
  if (n <= 0) return std::nullopt;
  size_t off = 0;
  bool v4 = dst_.is_v4();
  if (v4) {  // raw IPv4 sockets get the IP header
    if (n < 20) return std::nullopt;
    off = (buf[0] & 0x0f) * 4u;
  }
  if (static_cast<size_t>(n) < off + 8) return std::nullopt;
  const uint8_t* icmp = buf + off;
  size_t len = static_cast<size_t>(n) - off;
  auto id_at = [&](size_t o) {
    return o + 2 <= len ? static_cast<uint16_t>(icmp[o] << 8 | icmp[o + 1]) : 0;
  };
  uint8_t type = icmp[0];
  std::string sender = addr_text(reinterpret_cast<sockaddr*>(&from));
  if (type == (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY) && id_at(4) == match_port_)
    return Answer{Answer::Kind::echo_reply, "", sender};
  bool error = v4 ? (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED)
                  : (type == ICMP6_DST_UNREACH || type == ICMP6_TIME_EXCEEDED);
  if (!error) return std::nullopt;
  // The quoted echo request: its IP header, then the echo's id 4 bytes into its ICMP header.
  size_t inner = 8 + (v4 ? (len > 8 ? (icmp[8] & 0x0f) * 4u : 20u) : 40u);
  if (id_at(inner + 4) != match_port_) return std::nullopt;
  return Answer{Answer::Kind::icmp_error, icmp_error_name(!v4, type, icmp[1]), sender};
}

std::optional<Answer> ProbeSocket::on_ready(short revents) {
  if (proto_ == Protocol::tcp) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return std::nullopt;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    connecting_ = false;
    if (err == 0) return Answer{Answer::Kind::syn_ack, "", dst_.str()};
    if (err == ECONNREFUSED) return Answer{Answer::Kind::rst, "", dst_.str()};
    if (auto a = read_error_queue()) return a;
    return Answer{Answer::Kind::local_error, std::strerror(err), ""};
  }
  if (revents & POLLERR) {
    if (auto a = read_error_queue()) return a;
  }
  if (!(revents & POLLIN)) return std::nullopt;
  if (proto_ == Protocol::icmp) return read_icmp();
  char buf[1500];
  sockaddr_storage from{};
  socklen_t flen = sizeof from;
  if (::recvfrom(fd_.get(), buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from),
                 &flen) < 0) {
    if (errno == EAGAIN) return std::nullopt;
    if (auto a = read_error_queue()) return a;
    return Answer{Answer::Kind::local_error, std::strerror(errno), ""};
  }
  return Answer{Answer::Kind::udp_reply, "", addr_text(reinterpret_cast<sockaddr*>(&from))};
}

}  // namespace podnet::probe
