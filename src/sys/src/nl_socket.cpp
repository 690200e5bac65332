// The Netlink socket: open (here or in a netns), error capture, requests and dumps.
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "nl_util.hpp"

namespace podnet::sys {
namespace {

// libnl folds kernel errnos into its own codes; this undoes that where the mapping is 1:1. The
// error callback below records the exact errno, so this is only the fallback.
int errno_from_nle(int nle) {
  switch (nle < 0 ? -nle : nle) {
    case NLE_EXIST:
      return EEXIST;
    case NLE_NODEV:
      return ENODEV;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_NOADDR:
      return EADDRNOTAVAIL;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_BUSY:
      return EBUSY;
    case NLE_INVAL:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_INTR:
      return EINTR;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_BAD_SOCK:
      return EBADF;
    case NLE_MSGSIZE:
      return EMSGSIZE;
    case NLE_DUMP_INTR:
      return EINTR;
    default:
      return EIO;
  }
}

// Records the kernel's errno and extended-ack message of an error reply, then lets libnl stop.
int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* s = static_cast<Netlink::State*>(arg);
  s->last_errno = -e->error;
  const auto* h =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t off = sizeof(nlmsgerr);
    if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - sizeof(nlmsghdr);
    off = NLMSG_ALIGN(off);
    size_t total = h->nlmsg_len - NLMSG_HDRLEN;
    if (off < total) {
      auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(e) + off);
      int rem = static_cast<int>(total - off);
      for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
        if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
          const char* m = static_cast<const char*>(nla_data(a));
          s->last_ext_msg.assign(m, strnlen(m, static_cast<size_t>(nla_len(a))));
        }
      }
    }
  }
  return NL_STOP;
}

int on_dump_object(nl_msg* msg, void* arg) {
  nl_msg_parse(
      msg, [](nl_object* obj, void* fn) { (*static_cast<const nl::ObjectFn*>(fn))(obj); }, arg);
  return NL_OK;
}

}  // namespace

Error Netlink::State::error(int nle, std::string_view what) const {
  int err = last_errno ? last_errno : errno_from_nle(nle);
  std::string reason = (last_errno || err != EIO) ? std::strerror(err) : nl_geterror(nle);
  if (!last_ext_msg.empty()) reason += " (" + last_ext_msg + ")";
  return Error{err, fmt::format("{}: {}", what, reason)};
}

Result<> Netlink::State::request(nl::MsgPtr msg, std::string_view what) {
  return call(what, [&](nl_sock* sk) { return nl_send_sync(sk, msg.release()); });
}

Result<> Netlink::State::ask(nl::MsgPtr msg, nl_recvmsg_msg_cb_t on_reply, void* arg,
                             std::string_view what) {
  nl_sock* sk = begin();
  if (int err = nl_send_auto(sk, msg.get()); err < 0) return std::unexpected(error(err, what));
  nl_cb* base = nl_socket_get_cb(sk);
  nl_cb* cb = nl_cb_clone(base);
  nl_cb_put(base);
  if (!cb) return std::unexpected(Error::from_errno(ENOMEM, std::string(what)));
  nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_reply, arg);
  int err = nl_recvmsgs(sk, cb);  // the reply (or the kernel's error)
  nl_cb_put(cb);
  if (err < 0) return std::unexpected(error(err, what));
  // The request asked for an ACK (libnl's default); read it so the next request's sequence
  // numbers line up, as libnl's own single-object gets do.
  if (err = nl_wait_for_ack(sk); err < 0) return std::unexpected(error(err, what));
  return {};
}

Result<> Netlink::State::dump(int type, const void* hdr, size_t hdr_len, const nl::ObjectFn& fn,
                              const std::function<void()>& restart, std::string_view what) {
  for (int attempt = 0;; ++attempt) {
    nl_sock* sk = begin();
    int err = nl_send_simple(sk, type, NLM_F_DUMP, const_cast<void*>(hdr), hdr_len);
    if (err < 0) return std::unexpected(error(err, what));
    nl_cb* base = nl_socket_get_cb(sk);
    nl_cb* cb = nl_cb_clone(base);
    nl_cb_put(base);
    if (!cb) return std::unexpected(Error::from_errno(ENOMEM, std::string(what)));
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_dump_object, const_cast<nl::ObjectFn*>(&fn));
    err = nl_recvmsgs(sk, cb);
    nl_cb_put(cb);
    if (err == -NLE_DUMP_INTR && attempt < 3) {
      restart();
      continue;
    }
    if (err < 0) return std::unexpected(error(err, what));
    return {};
  }
}

Netlink::Netlink(std::unique_ptr<State> s) : s_(std::move(s)) {}
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;
Netlink::~Netlink() = default;

Result<Netlink> Netlink::open() {
  auto st = std::make_unique<State>();
  st->sk.reset(nl_socket_alloc());
  if (!st->sk) return fail(Error::from_errno(ENOMEM, "netlink socket"));
  nl_sock* sk = st->sk.get();
  if (int err = nl_connect(sk, NETLINK_ROUTE); err < 0)
    return fail(st->error(err, "netlink connect"));
  // One recv per reply instead of peek + recv; 32 KiB holds the largest dump chunk the kernel
  // sends to a reader of that size.
  nl_socket_disable_msg_peek(sk);
  nl_socket_set_msg_buf_size(sk, 32768);
  // Kernel explanations for errors, without the echoed request.
  int one = 1;
  ::setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, st.get());
  return Netlink(std::move(st));
}

Result<Netlink> Netlink::open_in(const Netns& ns) {
  // On this thread: the socket is bound to the namespace it is created in, so only its creation
  // needs the thread there (a few syscalls), not a thread of its own.
  auto r = run_here_in(ns, [] { return Netlink::open(); });
  if (!r) return fail(r.error().context("netns " + ns.path()));
  return r;
}

// ---- conversions (declared in nl_util.hpp)
namespace nl {

int family_of(net::Family f) {
  return f == net::Family::v4 ? AF_INET : AF_INET6;
}

NlAddrPtr to_nl(const net::IpAddress& ip, int prefixlen) {
  NlAddrPtr a(nl_addr_build(family_of(ip.family()), ip.data(), static_cast<size_t>(ip.byte_len())));
  if (a && prefixlen >= 0) nl_addr_set_prefixlen(a.get(), prefixlen);
  return a;
}

NlAddrPtr to_nl(const net::Prefix& p) {
  return to_nl(p.address(), p.length());
}

NlAddrPtr to_nl(const Mac& mac) {
  return NlAddrPtr(nl_addr_build(AF_LLC, mac.data(), 6));
}

std::optional<net::IpAddress> to_ip(const nl_addr* a) {
  if (!a) return std::nullopt;
  int fam = nl_addr_get_family(a);
  if (fam != AF_INET && fam != AF_INET6) return std::nullopt;
  auto f = fam == AF_INET ? net::Family::v4 : net::Family::v6;
  unsigned len = nl_addr_get_len(a);
  static const uint8_t zeros[16] = {};
  if (len == 0) return net::IpAddress::from_bytes(f, zeros);
  if (len != (fam == AF_INET ? 4u : 16u)) return std::nullopt;
  return net::IpAddress::from_bytes(f, static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)));
}

std::optional<Mac> to_mac(const nl_addr* a) {
  if (!a || nl_addr_get_len(a) != 6) return std::nullopt;
  return Mac::from_bytes(static_cast<const uint8_t*>(nl_addr_get_binary_addr(a)));
}

std::string hw_str(const nl_addr* a) {
  std::string out;
  if (!a) return out;
  const auto* p = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
  for (unsigned i = 0; i < nl_addr_get_len(a); ++i)
    out += fmt::format("{}{:02x}", i ? ":" : "", p[i]);
  return out;
}

}  // namespace nl
}  // namespace podnet::sys
