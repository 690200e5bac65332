#include "conntrack.hpp"

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

namespace podnet::proxy {

namespace {
struct CtFree {
  void operator()(nf_conntrack* c) const { nfct_destroy(c); }
};
using CtPtr = std::unique_ptr<nf_conntrack, CtFree>;

ConntrackFlow flow_of(const nf_conntrack* ct) {
  ConntrackFlow f;
  f.protocol = static_cast<Protocol>(nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO));
  auto ip = [&](nf_conntrack_attr a) {
    uint32_t v = nfct_get_attr_u32(ct, a);  // network order
    return net::IpAddress::from_bytes(net::Family::v4, reinterpret_cast<const uint8_t*>(&v));
  };
  f.orig_src = ip(ATTR_ORIG_IPV4_SRC);
  f.orig_dst = ip(ATTR_ORIG_IPV4_DST);
  f.reply_src = ip(ATTR_REPL_IPV4_SRC);
  f.orig_dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
  f.reply_sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
  f.dnat = (nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_DST_NAT) != 0;
  return f;
}

struct DumpCtx {
  const std::vector<ConntrackFilter>* filters;
  std::vector<CtPtr> hits;
};

int collect(enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto* c = static_cast<DumpCtx*>(data);
  if (nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) != AF_INET) return NFCT_CB_CONTINUE;
  ConntrackFlow f = flow_of(ct);
  for (const auto& flt : *c->filters)
    if (matches(flt, f)) {
      c->hits.emplace_back(nfct_clone(ct));
      break;
    }
  return NFCT_CB_CONTINUE;
}
}  // namespace

void ConntrackCleaner::Close::operator()(nfct_handle* h) const {
  nfct_close(h);
}

Result<ConntrackCleaner> ConntrackCleaner::open() {
  nfct_handle* h = nfct_open(CONNTRACK, 0);
  if (!h) return fail_errno("open conntrack netlink socket");
  return ConntrackCleaner(h);
}

Result<size_t> ConntrackCleaner::remove(const std::vector<ConntrackFilter>& filters) {
  if (filters.empty()) return size_t{0};
  DumpCtx ctx{&filters, {}};
  nfct_callback_register(h_.get(), NFCT_T_ALL, collect, &ctx);
  uint32_t family = AF_INET;
  int rc = nfct_query(h_.get(), NFCT_Q_DUMP, &family);
  nfct_callback_unregister(h_.get());
  if (rc < 0) return fail_errno("dump conntrack table");
  size_t n = 0;
  for (auto& ct : ctx.hits) {
    if (!ct) continue;
    // Already gone (expired or deleted meanwhile) is what we wanted.
    if (nfct_query(h_.get(), NFCT_Q_DESTROY, ct.get()) == 0)
      ++n;
    else if (errno != ENOENT)
      return fail_errno("delete conntrack entry");
  }
  return n;
}

Result<std::vector<std::string>> ConntrackCleaner::list(
    const std::vector<ConntrackFilter>& filters) {
  DumpCtx ctx{&filters, {}};
  nfct_callback_register(h_.get(), NFCT_T_ALL, collect, &ctx);
  uint32_t family = AF_INET;
  int rc = nfct_query(h_.get(), NFCT_Q_DUMP, &family);
  nfct_callback_unregister(h_.get());
  if (rc < 0) return fail_errno("dump conntrack table");
  std::vector<std::string> out;
  for (auto& ct : ctx.hits) {
    char buf[1024];
    nfct_snprintf(buf, sizeof buf, ct.get(), NFCT_T_UNKNOWN, NFCT_O_DEFAULT, NFCT_OF_SHOW_LAYER3);
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace podnet::proxy
