#pragma once
// Private glue between libnl and podnet types: RAII handles, the socket state with the captured
// kernel errno, address conversions and a light dump helper.
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include <functional>
#include <memory>
#include <string>

#include "podnet/sys/netlink.hpp"

namespace podnet::sys {

namespace nl {
template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Ptr = std::unique_ptr<T, Deleter<T, Free>>;

using LinkPtr = Ptr<rtnl_link, rtnl_link_put>;
using AddrPtr = Ptr<rtnl_addr, rtnl_addr_put>;
using RoutePtr = Ptr<rtnl_route, rtnl_route_put>;
using NeighPtr = Ptr<rtnl_neigh, rtnl_neigh_put>;
using NlAddrPtr = Ptr<nl_addr, nl_addr_put>;
using MsgPtr = Ptr<nl_msg, nlmsg_free>;
using SockPtr = Ptr<nl_sock, nl_socket_free>;

// IpAddress (with a prefix length for routes/addresses) as a libnl address.
NlAddrPtr to_nl(const net::IpAddress& ip, int prefixlen = -1);
NlAddrPtr to_nl(const net::Prefix& p);
NlAddrPtr to_nl(const Mac& mac);
// Back; an empty (zero-length) libnl address is the family's unspecified address.
std::optional<net::IpAddress> to_ip(const nl_addr* a);
std::optional<Mac> to_mac(const nl_addr* a);
int family_of(net::Family f);
std::string hw_str(const nl_addr* a);

// Converts one libnl object of a dump; the caller asserts its type.
using ObjectFn = std::function<void(nl_object*)>;
}  // namespace nl

struct Netlink::State {
  nl::SockPtr sk;
  int last_errno = 0;        // raw errno of the last kernel error reply (libnl maps it lossily)
  std::string last_ext_msg;  // NLMSGERR_ATTR_MSG of that reply

  // Resets the error capture; call before each request.
  nl_sock* begin() {
    last_errno = 0;
    last_ext_msg.clear();
    return sk.get();
  }
  // The Error for libnl return code nle (< 0): "what: strerror(errno) (kernel's message)".
  Error error(int nle, std::string_view what) const;
  // Runs one libnl call (after begin()) and converts a negative return into an Error.
  template <typename Fn>
  Result<> call(std::string_view what, Fn&& fn) {
    int err = fn(begin());
    if (err < 0) return std::unexpected(error(err, what));
    return {};
  }
  // Sends a dump request (header hdr of hdr_len bytes) and hands each parsed object to fn. A dump
  // that a concurrent change made inconsistent is redone (after restart(), which must drop what
  // fn collected) a few times before EINTR is returned.
  Result<> dump(int type, const void* hdr, size_t hdr_len, const nl::ObjectFn& fn,
                const std::function<void()>& restart, std::string_view what);
  // Sends a prebuilt request and waits for the kernel's ACK.
  Result<> request(nl::MsgPtr msg, std::string_view what);
  // Sends a prebuilt get request whose answer is one message (not a dump): on_reply sees it
  // (with arg), then the ACK libnl asked for is read so later sequence numbers line up.
  Result<> ask(nl::MsgPtr msg, nl_recvmsg_msg_cb_t on_reply, void* arg, std::string_view what);
};

}  // namespace podnet::sys
