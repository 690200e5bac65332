#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/nft/masq_table.hpp"
#include "podnet/plugin/commands.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/plugin/ipam_call.hpp"
#include "podnet/plugin/plan.hpp"
#include "podnet/plugin/retire.hpp"
#include "podnet/plugin/step_timer.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

// DEL is idempotent and works without the netns: the host veth name is derived from the
// attachment, and deleting it removes its peer. The address is released last, once nothing
// uses it any more.
cni::CmdResult cmd_del(const cni::CmdArgs& args) {
  const auto& env = args.env;
  StepTimer timer;  // declared first: logs last, once logLevel is known
  auto conf = PODNET_TRY(load_conf(args));
  timer.mark("conf");
  std::string host_veth = host_veth_name(env.container_id, env.ifname);

  auto host = sys::Netlink::open();
  if (!host) return std::unexpected(sys_error(host.error(), "open rtnetlink"));
  // The pod's netns may be gone (DEL must still succeed): then so is the pair.
  std::optional<sys::Netns> podns;
  if (!env.netns.empty())
    if (auto ns = sys::Netns::open(env.netns)) podns = std::move(*ns);
  auto gone = retire_pair(*host, host_veth, podns ? &*podns : nullptr, env.ifname,
                          conf.mode == Mode::bridge ? HostEnd::rename_live : HostEnd::take_down);
  if (!gone) return std::unexpected(sys_error(gone.error(), fmt::format("delete {}", host_veth)));
  timer.mark("retire");

  if (conf.ip_masq) {
    std::vector<nft::MasqEntry> entries;
    if (conf.net.prev_result) entries = masq_entries_of(*conf.net.prev_result, env.ifname);
    auto table = nft::MasqTable::open();
    if (!table) return std::unexpected(sys_error(table.error(), "nftables"));
    if (auto r = table->remove(entries,
                               nft::attachment_tag(conf.net.name, env.container_id, env.ifname));
        !r)
      return std::unexpected(sys_error(r.error(), "ipMasq cleanup"));
    timer.mark("masq");
  }

  auto ipam_target = PODNET_TRY(resolve_ipam(conf.ipam_type, args));
  if (auto r = call_ipam(ipam_target, cni::Command::del, args); !r) {
    auto e = r.error();
    e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  }
  timer.mark(ipam_target.in_process ? "ipam" : "ipam-exec");
  log::info("deleted {} (host side {} {})", env.ifname, host_veth,
            *gone ? "removed" : "already gone");
  return nlohmann::json();
}

}  // namespace podnet::plugin
