#include "table_objects.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include <memory>

namespace podnet::proxy {

namespace {
struct SockClose {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

struct Ctx {
  const std::string* table;
  std::vector<std::string>* out;
  bool chains;
};

int on_object(const nlmsghdr* h, void* data) {
  auto* c = static_cast<Ctx*>(data);
  if (c->chains) {
    nftnl_chain* ch = nftnl_chain_alloc();
    if (nftnl_chain_nlmsg_parse(h, ch) == 0 &&
        *c->table == nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE))
      c->out->emplace_back(nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME));
    nftnl_chain_free(ch);
  } else {
    nftnl_set* s = nftnl_set_alloc();
    if (nftnl_set_nlmsg_parse(h, s) == 0 && *c->table == nftnl_set_get_str(s, NFTNL_SET_TABLE) &&
        !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
      c->out->emplace_back(nftnl_set_get_str(s, NFTNL_SET_NAME));
    nftnl_set_free(s);
  }
  return MNL_CB_OK;
}

Result<> dump(mnl_socket* sock, uint16_t type, uint16_t family, const std::string& table,
              std::vector<std::string>& out, bool chains) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  uint32_t seq = 1;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), type, family, NLM_F_DUMP, seq);
  if (chains) {
    nftnl_chain* ch = nftnl_chain_alloc();
    nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table.c_str());
    nftnl_chain_nlmsg_build_payload(nlh, ch);
    nftnl_chain_free(ch);
  } else {
    nftnl_set* s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table.c_str());
    nftnl_set_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
  }
  if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) return fail_errno("send nftables dump");
  Ctx ctx{&table, &out, chains};
  unsigned portid = mnl_socket_get_portid(sock);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
    if (n < 0) return fail_errno("receive nftables dump");
    int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, on_object, &ctx);
    if (rc < 0)
      return fail_errno(fmt::format("list {} of table {}", chains ? "chains" : "sets", table));
    if (rc == MNL_CB_STOP) break;
  }
  return {};
}
}  // namespace

Result<TableObjects> list_table_objects(uint16_t family, const std::string& table) {
  std::unique_ptr<mnl_socket, SockClose> sock(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!sock) return fail_errno("open netfilter netlink socket");
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail_errno("bind netfilter netlink socket");
  TableObjects t;
  auto chains = dump(sock.get(), NFT_MSG_GETCHAIN, family, table, t.chains, true);
  if (!chains) {
    if (chains.error().sys_errno == ENOENT) return t;
    return std::unexpected(chains.error());
  }
  // A chain dump of a missing table can come back empty instead of ENOENT; the set dump says.
  auto sets = dump(sock.get(), NFT_MSG_GETSET, family, table, t.sets, false);
  if (!sets) {
    if (sets.error().sys_errno == ENOENT) return TableObjects{};
    return std::unexpected(sets.error());
  }
  t.exists = !t.chains.empty() || !t.sets.empty();
  return t;
}

namespace {
struct RuleFree {
  void operator()(nftnl_rule* r) const { nftnl_rule_free(r); }
};
using RulePtr = std::unique_ptr<nftnl_rule, RuleFree>;

struct RuleCtx {
  std::optional<RuleValues> first;
};

int on_rule(const nlmsghdr* h, void* data) {
  auto* c = static_cast<RuleCtx*>(data);
  if (c->first) return MNL_CB_OK;  // dumps come in handle order: the first is the first rule
  RulePtr r(nftnl_rule_alloc());
  if (!r || nftnl_rule_nlmsg_parse(h, r.get()) < 0) return MNL_CB_OK;
  RuleValues v;
  nftnl_expr_iter* it = nftnl_expr_iter_create(r.get());
  if (!it) return MNL_CB_OK;
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    const std::string_view name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    uint32_t len = 0;
    auto bytes = [&](uint16_t attr, std::vector<std::vector<uint8_t>>& to) {
      if (!nftnl_expr_is_set(e, attr)) return;
      auto* d = static_cast<const uint8_t*>(nftnl_expr_get(e, attr, &len));
      if (d) to.emplace_back(d, d + len);
    };
    if (name == "cmp") bytes(NFTNL_EXPR_CMP_DATA, v.cmp);
    if (name == "bitwise") bytes(NFTNL_EXPR_BITWISE_MASK, v.mask);
  }
  nftnl_expr_iter_destroy(it);
  c->first = std::move(v);
  return MNL_CB_OK;
}
}  // namespace

Result<std::optional<RuleValues>> first_rule_values(uint16_t family, const std::string& table,
                                                    const std::string& chain) {
  std::unique_ptr<mnl_socket, SockClose> sock(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!sock) return fail_errno("open netfilter netlink socket");
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail_errno("bind netfilter netlink socket");
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  const uint32_t seq = 1;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETRULE, family, NLM_F_DUMP, seq);
  {
    RulePtr r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
  }
  if (mnl_socket_sendto(sock.get(), nlh, nlh->nlmsg_len) < 0)
    return fail_errno("send nftables rule dump");
  RuleCtx ctx;
  const unsigned portid = mnl_socket_get_portid(sock.get());
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock.get(), buf.data(), buf.size());
    if (n < 0) return fail_errno("receive nftables rule dump");
    int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, on_rule, &ctx);
    if (rc < 0) {
      if (errno == ENOENT) return std::optional<RuleValues>{};
      return fail_errno(fmt::format("list rules of chain {} in table {}", chain, table));
    }
    if (rc == MNL_CB_STOP) break;
  }
  return std::move(ctx.first);
}

}  // namespace podnet::proxy
