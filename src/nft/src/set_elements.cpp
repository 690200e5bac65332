#include "podnet/nft/set_elements.hpp"

#include "podnet/nft/element_batch.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <endian.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

namespace podnet::nft {

namespace {

struct SetFree {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};
using SetPtr = std::unique_ptr<nftnl_set, SetFree>;

// Builds an nftnl_set holding the elements of one set (named by table/set).
Result<SetPtr> build_set(uint16_t family, const std::string& table, const std::string& set,
                         const std::vector<const SetElement*>& elems) {
  SetPtr s(nftnl_set_alloc());
  if (!s) return fail_errno("nftnl_set_alloc", ENOMEM);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, family);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
  for (const SetElement* e : elems) {
    nftnl_set_elem* el = nftnl_set_elem_alloc();
    if (!el) return fail_errno("nftnl_set_elem_alloc", ENOMEM);
    nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e->key.data(), static_cast<uint32_t>(e->key.size()));
    if (!e->key_end.empty())
      nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, e->key_end.data(),
                         static_cast<uint32_t>(e->key_end.size()));
    if (!e->data.empty())
      nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, e->data.data(),
                         static_cast<uint32_t>(e->data.size()));
    if (e->verdict) {
      nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, static_cast<uint32_t>(*e->verdict));
      if (!e->chain.empty()) nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, e->chain.c_str());
    }
    if (!e->comment.empty()) {
      // Userdata TLV as nft writes it, so `nft list` shows the comment.
      nftnl_udata_buf* ud = nftnl_udata_buf_alloc(256);
      nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, e->comment.c_str());
      nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
                         nftnl_udata_buf_len(ud));
      nftnl_udata_buf_free(ud);
    }
    nftnl_set_elem_add(s.get(), el);
  }
  return s;
}

std::string comment_of(const void* data, uint32_t len) {
  std::string out;
  auto* buf = static_cast<const uint8_t*>(data);
  uint32_t off = 0;
  while (off + 2 <= len) {
    uint8_t type = buf[off], l = buf[off + 1];
    if (off + 2 + l > len) break;
    if (type == NFTNL_UDATA_SET_ELEM_COMMENT && l > 0) {
      out.assign(reinterpret_cast<const char*>(buf + off + 2), l);
      while (!out.empty() && out.back() == '\0') out.pop_back();
    }
    off += 2 + l;
  }
  return out;
}

}  // namespace

SetElementClient::SetElementClient(mnl_socket* s)
    : sock_(s), seq_(static_cast<uint32_t>(time(nullptr))) {}
SetElementClient::SetElementClient(SetElementClient&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), seq_(o.seq_) {}
SetElementClient& SetElementClient::operator=(SetElementClient&& o) noexcept {
  if (this != &o) {
    if (sock_) mnl_socket_close(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
    seq_ = o.seq_;
  }
  return *this;
}
SetElementClient::~SetElementClient() {
  if (sock_) mnl_socket_close(sock_);
}

Result<SetElementClient> SetElementClient::open() {
  mnl_socket* s = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!s) return fail_errno("open netfilter netlink socket");
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(s);
    return fail_errno("bind netfilter netlink socket", e);
  }
  // Acks without a copy of the request: a batch of large element messages would otherwise
  // overflow the receive buffer with its own echoes (ENOBUFS).
  int one = 1;
  setsockopt(mnl_socket_get_fd(s), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  int rcv = 4 << 20;
  if (setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  return SetElementClient(s);
}

Result<> SetElementClient::apply(uint16_t family, const std::string& table,
                                 const ElementBatch& batch) {
  if (batch.empty()) return {};
  EncodedBatch b(family, table);
  for (const auto& set : batch.flush) b.flush(set);
  for (const auto& e : batch.remove) b.remove(e);
  for (const auto& e : batch.add) b.add(e);
  return send(b);
}

Result<> SetElementClient::send(EncodedBatch& batch) {
  if (batch.empty()) return {};
  const uint32_t first_seq = ++seq_;
  const size_t count = batch.number(first_seq + 1);
  seq_ += static_cast<uint32_t>(count);
  char begin[NLMSG_HDRLEN + 64], end[NLMSG_HDRLEN + 64];
  nftnl_batch_begin(begin, first_seq);
  nftnl_batch_end(end, ++seq_);
  auto pieces = batch.pieces();
  std::vector<iovec> iov;
  iov.reserve(pieces.size() + 2);
  iov.push_back({begin, NLMSG_ALIGN(reinterpret_cast<nlmsghdr*>(begin)->nlmsg_len)});
  size_t len = iov.back().iov_len;
  for (const auto& p : pieces) {
    iov.push_back({const_cast<uint8_t*>(p.data()), p.size()});
    len += p.size();
  }
  iov.push_back({end, NLMSG_ALIGN(reinterpret_cast<nlmsghdr*>(end)->nlmsg_len)});
  len += iov.back().iov_len;
  // More pieces than one sendmsg takes (a batch of hundreds of MB): one contiguous copy.
  std::unique_ptr<char[]> joined;
  if (iov.size() > static_cast<size_t>(IOV_MAX)) {
    joined = std::make_unique_for_overwrite<char[]>(len);
    size_t off = 0;
    for (const auto& v : iov) {
      std::memcpy(joined.get() + off, v.iov_base, v.iov_len);
      off += v.iov_len;
    }
    iov.assign(1, iovec{joined.get(), len});
  }

  // A batch is one datagram: the socket's send buffer must hold it (root may force it).
  if (len > static_cast<size_t>(MNL_SOCKET_BUFFER_SIZE)) {
    int sz = static_cast<int>(len);
    if (setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
      setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (::sendmsg(mnl_socket_get_fd(sock_), &msg, 0) < 0) return fail_errno("send nftables batch");
  // Each message asked for an ACK: read until all arrived or one failed.
  unsigned portid = mnl_socket_get_portid(sock_);
  std::vector<char> rbuf(MNL_SOCKET_BUFFER_SIZE);
  size_t acks = count;
  while (acks > 0) {
    ssize_t n = mnl_socket_recvfrom(sock_, rbuf.data(), rbuf.size());
    if (n < 0) return fail_errno("receive nftables ack");
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(rbuf.data()); mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      // Only this batch's answers: a failed earlier batch may have left acks behind.
      if (h->nlmsg_pid != portid || h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq <= first_seq ||
          h->nlmsg_seq > seq_)
        continue;
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
      if (err->error != 0) {
        size_t idx = h->nlmsg_seq - first_seq - 1;
        return fail_errno(fmt::format("nftables set elements in table {} set {}", batch.table(),
                                      batch.set_of(idx)),
                          -err->error);
      }
      --acks;
    }
  }
  return {};
}

Result<> SetElementClient::transact(bool add, uint16_t family, const std::string& table,
                                    const std::vector<SetElement>& elems) {
  if (elems.empty()) return {};
  EncodedBatch b(family, table);
  for (const auto& e : elems) add ? b.add(e) : b.remove(e);
  return send(b);
}

Result<> SetElementClient::add(uint16_t family, const std::string& table,
                               const std::vector<SetElement>& elems) {
  return transact(true, family, table, elems);
}

Result<> SetElementClient::remove(uint16_t family, const std::string& table,
                                  const std::vector<SetElement>& elems) {
  return transact(false, family, table, elems);
}

namespace {
struct ParseCtx {
  std::string set;
  std::vector<SetElement> out;
};

int parse_elements(const nlmsghdr* h, void* data) {
  auto* c = static_cast<ParseCtx*>(data);
  SetPtr parsed(nftnl_set_alloc());
  if (nftnl_set_elems_nlmsg_parse(h, parsed.get()) < 0) return MNL_CB_OK;
  nftnl_set_elem_foreach(
      parsed.get(),
      [](nftnl_set_elem* e, void* d) -> int {
        auto* c2 = static_cast<ParseCtx*>(d);
        SetElement el;
        el.set = c2->set;
        uint32_t len = 0;
        auto bytes = [&](uint16_t attr, std::vector<uint8_t>& to) {
          if (!nftnl_set_elem_is_set(e, attr)) return;
          auto* k = static_cast<const uint8_t*>(nftnl_set_elem_get(e, attr, &len));
          if (k) to.assign(k, k + len);
        };
        bytes(NFTNL_SET_ELEM_KEY, el.key);
        bytes(NFTNL_SET_ELEM_KEY_END, el.key_end);
        bytes(NFTNL_SET_ELEM_DATA, el.data);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
          el.verdict = static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
          el.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
          const void* ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
          if (ud) el.comment = comment_of(ud, len);
        }
        c2->out.push_back(std::move(el));
        return 0;
      },
      c);
  return MNL_CB_OK;
}
}  // namespace

Result<std::optional<SetElement>> SetElementClient::get(uint16_t family, const std::string& table,
                                                        const SetElement& key) {
  SetElement probe;
  probe.key = key.key;
  std::vector<const SetElement*> one{&probe};
  auto s = PODNET_TRY(build_set(family, table, key.set, one));
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  // No ACK asked: the answer is the element or an error, exactly one message.
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSETELEM, family, 0, ++seq_);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) return fail_errno("send nftables get");
  ParseCtx ctx{key.set, {}};
  unsigned portid = mnl_socket_get_portid(sock_);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) return fail_errno("receive nftables element");
    int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq_, portid, parse_elements, &ctx);
    if (rc < 0) {
      if (errno == ENOENT) return std::optional<SetElement>{};
      return fail_errno(fmt::format("get element of set {} in table {}", key.set, table));
    }
    if (rc == MNL_CB_STOP || !ctx.out.empty()) break;
  }
  if (ctx.out.empty()) return std::optional<SetElement>{};
  return std::optional<SetElement>(std::move(ctx.out.front()));
}

Result<std::vector<SetElement>> SetElementClient::list(uint16_t family, const std::string& table,
                                                       const std::string& set) {
  auto s = PODNET_TRY(build_set(family, table, set, {}));
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSETELEM, family, NLM_F_DUMP | NLM_F_ACK, ++seq_);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) return fail_errno("send nftables dump");
  ParseCtx ctx{set, {}};
  unsigned portid = mnl_socket_get_portid(sock_);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) return fail_errno("receive nftables dump");
    int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq_, portid, parse_elements, &ctx);
    if (rc < 0) return fail_errno(fmt::format("list set {} in table {}", set, table));
    if (rc == MNL_CB_STOP) break;
  }
  return std::move(ctx.out);
}

}  // namespace podnet::nft
