#include "trace_collector.hpp"

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>

#include <thread>

#include <fmt/format.h>

#include "podnet/sys/netns.hpp"

namespace podnet::probe {

namespace {
// Gives `peer` the nsid `id` in the calling thread's namespace (RTM_NEWNSID, as `ip netns set`).
Result<> assign_nsid(int rtnl, const sys::Netns& peer, int32_t id, uint32_t seq) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWNSID;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  auto* g = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
  g->rtgen_family = AF_UNSPEC;
  mnl_attr_put_u32(nlh, NETNSA_FD, static_cast<uint32_t>(peer.fd()));
  mnl_attr_put_u32(nlh, NETNSA_NSID, static_cast<uint32_t>(id));
  if (::send(rtnl, nlh, nlh->nlmsg_len, 0) < 0) return fail_errno("send RTM_NEWNSID");
  ssize_t n = ::recv(rtnl, buf, sizeof buf, 0);
  if (n < 0) return fail_errno("read RTM_NEWNSID answer");
  auto* ans = reinterpret_cast<nlmsghdr*>(buf);
  if (ans->nlmsg_type == NLMSG_ERROR) {
    auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(ans));
    if (e->error != 0) return fail_errno(fmt::format("give {} an nsid", peer.path()), -e->error);
  }
  return {};
}

Result<UniqueFd> open_in_private_netns(const std::vector<const sys::Netns*>& namespaces) {
  UniqueFd rtnl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!rtnl) return fail_errno("open route netlink socket");
  for (size_t i = 0; i < namespaces.size(); ++i)
    PODNET_TRY_VOID(assign_nsid(rtnl.get(), *namespaces[i], static_cast<int32_t>(i + 1),
                                static_cast<uint32_t>(i + 1)));
  auto mon = PODNET_TRY(TraceMonitor::open_here());
  int one = 1;
  if (::setsockopt(mon.fd(), SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof one) < 0)
    return fail_errno("listen to all namespaces' trace events");
  return UniqueFd(::dup(mon.fd()));
}
}  // namespace

Result<TraceCollector> TraceCollector::open(const std::vector<const sys::Netns*>& namespaces) {
  std::optional<Result<UniqueFd>> out;
  try {
    // The thread makes the private namespace its own and ends there: no code runs after it.
    std::thread t([&] {
      if (::unshare(CLONE_NEWNET) < 0)
        out.emplace(fail_errno("create the trace collector's namespace"));
      else
        out.emplace(open_in_private_netns(namespaces));
    });
    t.join();
  } catch (const std::system_error& e) {
    return fail(Error::from_errno(e.code().value(), "start the trace collector's thread"));
  }
  if (!*out) return fail(out->error());
  if (!out->value()) return fail_errno("dup trace socket");
  return TraceCollector(std::move(out->value()));
}

Result<> TraceCollector::drain(std::vector<std::pair<size_t, RawTrace>>& out) {
  return drain_trace_socket(fd_.get(), [&](std::vector<RawTrace>&& events, int nsid) {
    if (nsid <= 0) return;  // the private namespace's own: nothing is traced there
    for (auto& e : events) out.emplace_back(static_cast<size_t>(nsid - 1), std::move(e));
  });
}

}  // namespace podnet::probe
