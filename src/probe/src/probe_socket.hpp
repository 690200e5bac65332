#pragma once
// The probe packet's socket, opened in the source namespace: a non-blocking TCP connect (SYN),
// a UDP datagram, or an ICMP echo on a raw socket, and the reading of what came back (SYN-ACK,
// RST, reply, echo reply, or an ICMP error through IP_RECVERR / the quoted packet).
#include <cstdint>
#include <optional>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"
#include "podnet/net/ip.hpp"
#include "podnet/probe/report.hpp"

namespace podnet::sys {
class Netns;
}

namespace podnet::probe {

class ProbeSocket {
 public:
  // Binds in ns (to source when given) so the source port or echo id is known before the trace
  // rules that match it are added.
  static Result<ProbeSocket> open_in(const sys::Netns& ns, Protocol proto,
                                     const std::optional<net::IpAddress>& source,
                                     const net::IpAddress& destination, uint16_t port);

  uint16_t match_port() const { return match_port_; }
  int fd() const { return fd_.get(); }
  short poll_events() const;
  // Sends the probe. An answer when the source namespace refused at once (no route: local_error,
  // or a TCP connect that completed synchronously).
  std::optional<Answer> send();
  // Reads what made the socket ready; an answer when one is complete.
  std::optional<Answer> on_ready(short revents);
  // The local address the kernel chose (after send).
  std::string local_address() const;

 private:
  ProbeSocket(UniqueFd fd, Protocol p, net::IpAddress dst, uint16_t port, uint16_t match)
      : fd_(std::move(fd)), proto_(p), dst_(dst), port_(port), match_port_(match) {}
  std::optional<Answer> read_error_queue();
  std::optional<Answer> read_icmp();

  UniqueFd fd_;
  Protocol proto_;
  net::IpAddress dst_;
  uint16_t port_ = 0;
  uint16_t match_port_ = 0;
  bool connecting_ = false;
};

}  // namespace podnet::probe
