#include "trace_monitor.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/trace.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <functional>
#include <memory>

#include "podnet/sys/netns.hpp"

namespace podnet::probe {

Result<TraceMonitor> TraceMonitor::open_in(const sys::Netns& ns) {
  auto m = sys::run_in(ns, [] { return open_here(); });
  if (!m) return fail(m.error().context("trace monitor in " + ns.path()));
  return std::move(*m);
}

Result<TraceMonitor> TraceMonitor::open_here() {
  auto fd = [&]() -> Result<UniqueFd> {
    UniqueFd s(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
    if (!s) return fail_errno("open netfilter netlink socket");
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      return fail_errno("bind netfilter netlink socket");
    int group = NFNLGRP_NFTRACE;
    if (::setsockopt(s.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      return fail_errno("join the nftables trace group");
    // A probe crossing a busy ruleset yields many events at once; losing them would lose hops.
    int rcv = 4 << 20;
    if (::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
      ::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    return s;
  }();
  if (!fd) return fail(fd.error());
  return TraceMonitor(std::move(*fd));
}

namespace {
struct TraceFree {
  void operator()(nftnl_trace* t) const { nftnl_trace_free(t); }
};

std::vector<uint8_t> bytes(const nftnl_trace* t, uint16_t attr) {
  if (!nftnl_trace_is_set(t, attr)) return {};
  uint32_t len = 0;
  auto* p = static_cast<const uint8_t*>(nftnl_trace_get_data(t, attr, &len));
  return p ? std::vector<uint8_t>(p, p + len) : std::vector<uint8_t>{};
}

int on_message(const nlmsghdr* nlh, void* data) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
      NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
    return MNL_CB_OK;
  std::unique_ptr<nftnl_trace, TraceFree> t(nftnl_trace_alloc());
  if (!t || nftnl_trace_nlmsg_parse(nlh, t.get()) < 0) return MNL_CB_OK;  // skip what we can't read
  auto* out = static_cast<std::vector<RawTrace>*>(data);
  RawTrace r;
  auto str = [&](uint16_t a) {
    const char* s = nftnl_trace_is_set(t.get(), a) ? nftnl_trace_get_str(t.get(), a) : nullptr;
    return s ? std::string(s) : std::string();
  };
  auto u32 = [&](uint16_t a) {
    return nftnl_trace_is_set(t.get(), a) ? nftnl_trace_get_u32(t.get(), a) : 0u;
  };
  r.id = u32(NFTNL_TRACE_ID);
  r.type = u32(NFTNL_TRACE_TYPE);
  r.family = static_cast<uint8_t>(u32(NFTNL_TRACE_FAMILY));
  r.nfproto = static_cast<uint8_t>(u32(NFTNL_TRACE_NFPROTO));
  if (!r.nfproto) r.nfproto = r.family;
  r.table = str(NFTNL_TRACE_TABLE);
  r.chain = str(NFTNL_TRACE_CHAIN);
  r.jump_target = str(NFTNL_TRACE_JUMP_TARGET);
  if (nftnl_trace_is_set(t.get(), NFTNL_TRACE_RULE_HANDLE))
    r.rule_handle = nftnl_trace_get_u64(t.get(), NFTNL_TRACE_RULE_HANDLE);
  r.has_verdict = nftnl_trace_is_set(t.get(), NFTNL_TRACE_VERDICT);
  if (r.has_verdict) r.verdict = static_cast<int32_t>(u32(NFTNL_TRACE_VERDICT));
  if (r.type == NFT_TRACETYPE_POLICY && nftnl_trace_is_set(t.get(), NFTNL_TRACE_POLICY)) {
    r.verdict = static_cast<int32_t>(u32(NFTNL_TRACE_POLICY));
    r.has_verdict = true;
  }
  r.iif = u32(NFTNL_TRACE_IIF);
  r.oif = u32(NFTNL_TRACE_OIF);
  r.network = bytes(t.get(), NFTNL_TRACE_NETWORK_HEADER);
  r.transport = bytes(t.get(), NFTNL_TRACE_TRANSPORT_HEADER);
  out->push_back(std::move(r));
  return MNL_CB_OK;
}
}  // namespace

Result<> drain_trace_socket(int fd, const std::function<void(std::vector<RawTrace>&&, int)>& take) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  char control[CMSG_SPACE(sizeof(int))];
  for (;;) {
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) return fail_errno("read nftables trace events (some were lost)");
      return fail_errno("read nftables trace events");
    }
    if (n == 0) return {};
    int nsid = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID)
        std::memcpy(&nsid, CMSG_DATA(c), sizeof nsid);
    std::vector<RawTrace> events;
    mnl_cb_run(buf.data(), static_cast<size_t>(n), 0, 0, on_message, &events);
    take(std::move(events), nsid);
  }
}

Result<> TraceMonitor::drain(std::vector<RawTrace>& out) {
  return drain_trace_socket(fd_.get(), [&](std::vector<RawTrace>&& events, int) {
    for (auto& e : events) out.push_back(std::move(e));
  });
}

}  // namespace podnet::probe
