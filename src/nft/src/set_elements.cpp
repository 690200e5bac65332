#include "podnet/nft/set_elements.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <endian.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <map>
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

void put_data(nlmsghdr* nlh, uint16_t type, const std::vector<uint8_t>& v) {
  nlattr* nest = mnl_attr_nest_start(nlh, type);
  mnl_attr_put(nlh, NFTA_DATA_VALUE, v.size(), v.data());
  mnl_attr_nest_end(nlh, nest);
}

// The payload nftnl_set_elems_nlmsg_build_payload writes, encoded straight from the elements:
// building an nftnl_set_elem per element (allocations, copies, frees) cost more than the
// kernel's share of a large batch. The caller sized the buffer (encoded_size).
void put_elements(nlmsghdr* nlh, const std::string& table, const std::string& set,
                  const std::vector<const SetElement*>& elems) {
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
  if (elems.empty()) return;
  nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  for (const SetElement* e : elems) {
    nlattr* el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    put_data(nlh, NFTA_SET_ELEM_KEY, e->key);
    if (!e->key_end.empty()) put_data(nlh, NFTA_SET_ELEM_KEY_END, e->key_end);
    if (e->verdict) {
      nlattr* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
      nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
      mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htobe32(static_cast<uint32_t>(*e->verdict)));
      if (!e->chain.empty()) mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, e->chain.c_str());
      mnl_attr_nest_end(nlh, verdict);
      mnl_attr_nest_end(nlh, data);
    }
    if (!e->data.empty()) put_data(nlh, NFTA_SET_ELEM_DATA, e->data);
    if (!e->comment.empty()) {
      // Userdata TLV as nft writes it, so `nft list` shows the comment.
      nftnl_udata_buf* ud = nftnl_udata_buf_alloc(256);
      nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, e->comment.c_str());
      mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, nftnl_udata_buf_len(ud), nftnl_udata_buf_data(ud));
      nftnl_udata_buf_free(ud);
    }
    mnl_attr_nest_end(nlh, el);
  }
  mnl_attr_nest_end(nlh, list);
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

namespace {
// One netlink message of a batch: elements of one set (none: flush the set).
struct Message {
  uint16_t type = 0, flags = 0;
  const std::string* set = nullptr;
  std::vector<const SetElement*> elems;
};

// The element list is one nested attribute (16-bit length): keep each message well below it.
size_t encoded_size(const SetElement& e) {
  return 48 + e.key.size() + e.key_end.size() + e.data.size() + e.chain.size() + e.comment.size();
}
constexpr size_t kMessageBudget = 48 * 1024;

void split(std::vector<Message>& out, uint16_t type, uint16_t flags,
           const std::vector<SetElement>& elems) {
  std::map<std::string, std::vector<const SetElement*>> by_set;
  std::vector<const SetElement*>* last = nullptr;  // runs of one set skip the lookup
  const std::string* last_name = nullptr;
  for (const auto& e : elems) {
    if (!last || *last_name != e.set) {
      last = &by_set[e.set];
      last_name = &e.set;
    }
    last->push_back(&e);
  }
  for (const auto& [set, list] : by_set) {
    size_t budget = 0;
    // The name lives in the caller's elements: by_set ends with this function.
    const std::string* name = &list.front()->set;
    for (const SetElement* e : list) {
      size_t sz = encoded_size(*e);
      if (out.empty() || out.back().set != name || out.back().type != type ||
          budget + sz > kMessageBudget) {
        out.push_back(Message{type, flags, name, {}});
        budget = 0;
      }
      out.back().elems.push_back(e);
      budget += sz;
    }
  }
}
}  // namespace

Result<> SetElementClient::apply(uint16_t family, const std::string& table,
                                 const ElementBatch& batch) {
  if (batch.empty()) return {};
  std::vector<Message> msgs;
  for (const auto& set : batch.flush) msgs.push_back(Message{NFT_MSG_DELSETELEM, 0, &set, {}});
  split(msgs, NFT_MSG_DELSETELEM, 0, batch.remove);
  split(msgs, NFT_MSG_NEWSETELEM, NLM_F_CREATE, batch.add);
  return send(family, table, msgs.data(), msgs.size());
}

Result<> SetElementClient::send(uint16_t family, const std::string& table, const void* messages,
                                size_t count) {
  auto* msgs = static_cast<const Message*>(messages);
  // Sized once from each message's bound (doubling a batch of many megabytes copies it and holds
  // both copies) and not zeroed: libmnl writes every header and padding byte itself.
  auto bound = [&](const Message& m) {
    size_t est = 256 + m.set->size() + table.size();
    for (const SetElement* e : m.elems) est += encoded_size(*e) + 32;
    return est;
  };
  size_t total = 512;  // batch begin and end
  for (size_t i = 0; i < count; ++i) total += bound(msgs[i]);
  total = std::max<size_t>(total, MNL_SOCKET_BUFFER_SIZE);
  auto buf = std::make_unique_for_overwrite<char[]>(total);
  size_t len = 0;
  uint32_t first_seq = ++seq_;
  nftnl_batch_begin(buf.get(), first_seq);
  len += NLMSG_ALIGN(reinterpret_cast<nlmsghdr*>(buf.get())->nlmsg_len);
  int acks = 0;
  for (size_t i = 0; i < count; ++i) {
    const Message& m = msgs[i];
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.get() + len, m.type, family,
                                          static_cast<uint16_t>(m.flags | NLM_F_ACK), ++seq_);
    put_elements(nlh, table, *m.set, m.elems);
    len += NLMSG_ALIGN(nlh->nlmsg_len);
    ++acks;
  }
  nftnl_batch_end(buf.get() + len, ++seq_);
  len += NLMSG_ALIGN(reinterpret_cast<nlmsghdr*>(buf.get() + len)->nlmsg_len);

  // A batch is one datagram: the socket's send buffer must hold it (root may force it).
  if (len > static_cast<size_t>(MNL_SOCKET_BUFFER_SIZE)) {
    int sz = static_cast<int>(len);
    if (setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
      setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  }
  if (mnl_socket_sendto(sock_, buf.get(), len) < 0) return fail_errno("send nftables batch");
  // Each message asked for an ACK: read until all arrived or one failed.
  unsigned portid = mnl_socket_get_portid(sock_);
  std::vector<char> rbuf(MNL_SOCKET_BUFFER_SIZE);
  while (acks > 0) {
    ssize_t n = mnl_socket_recvfrom(sock_, rbuf.data(), rbuf.size());
    if (n < 0) return fail_errno("receive nftables ack");
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(rbuf.data()); mnl_nlmsg_ok(h, left);
         h = mnl_nlmsg_next(h, &left)) {
      // Only this batch's answers: a failed earlier batch may have left acks behind.
      if (h->nlmsg_pid != portid || h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first_seq ||
          h->nlmsg_seq > seq_)
        continue;
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
      if (err->error != 0) {
        size_t idx = h->nlmsg_seq - first_seq - 1;
        std::string set = idx < count ? *msgs[idx].set : std::string("?");
        return fail_errno(fmt::format("nftables set elements in table {} set {}", table, set),
                          -err->error);
      }
      --acks;
    }
  }
  return {};
}

Result<> SetElementClient::transact(uint16_t msg_type, uint16_t flags, uint16_t family,
                                    const std::string& table,
                                    const std::vector<SetElement>& elems) {
  if (elems.empty()) return {};
  std::vector<Message> msgs;
  split(msgs, msg_type, flags, elems);
  return send(family, table, msgs.data(), msgs.size());
}

Result<> SetElementClient::add(uint16_t family, const std::string& table,
                               const std::vector<SetElement>& elems) {
  return transact(NFT_MSG_NEWSETELEM, NLM_F_CREATE, family, table, elems);
}

Result<> SetElementClient::remove(uint16_t family, const std::string& table,
                                  const std::vector<SetElement>& elems) {
  return transact(NFT_MSG_DELSETELEM, 0, family, table, elems);
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
