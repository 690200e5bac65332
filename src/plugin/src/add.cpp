#include <fmt/format.h>

#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/scope_guard.hpp"
#include "podnet/nft/masq_table.hpp"
#include "podnet/plugin/apply.hpp"
#include "podnet/plugin/bridge_error.hpp"
#include "podnet/plugin/commands.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/plugin/ipam_call.hpp"
#include "podnet/plugin/plan.hpp"
#include "podnet/plugin/step_timer.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

using cni::CniError;
using cni::Code;

cni::CmdResult cmd_add(const cni::CmdArgs& args) {
  const auto& env = args.env;
  StepTimer timer;  // declared first: logs last, once logLevel is known
  auto conf = PODNET_TRY(load_conf(args));
  auto podns = sys::Netns::open(env.netns);
  if (!podns)
    return std::unexpected(
        CniError(Code::invalid_env, fmt::format("CNI_NETNS: {}", podns.error().message)));
  timer.mark("conf");

  // 1. Start IPAM (a thread for our own podnet-ipam, else its process), and build the pair
  // while it works.
  auto ipam_target = PODNET_TRY(resolve_ipam(conf.ipam_type, args));
  auto ipam_run = start_ipam(ipam_target, cni::Command::add, args);
  if (!ipam_run) return std::unexpected(ipam_run.error());
  timer.mark(ipam_target.in_process ? "ipam-thread" : "ipam-spawn");
  bool ip_allocated = false;
  // Declared first so it runs last: the address is released once nothing uses it.
  ScopeGuard release_ip([&] {
    if (!ip_allocated) return;
    if (auto r = call_ipam(ipam_target, cni::Command::del, args); !r)
      log::error("rollback: IPAM release failed: {}", r.error().msg);
  });
  auto ipam_error = [&](CniError e) {
    e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  };
  // Any early return below must still reap IPAM and undo its allocation.
  auto settle_ipam = [&] {
    if (auto r = ipam_run->wait(); r) ip_allocated = true;
  };

  // 2. Host side and the pair; the pod end is born in the pod's namespace.
  auto host = sys::Netlink::open();
  if (!host) {
    settle_ipam();
    return std::unexpected(sys_error(host.error(), "open rtnetlink"));
  }
  LinkFacts facts;
  facts.netns = env.netns;
  int bridge_index = 0;
  if (conf.mode == Mode::bridge) {
    auto br = ensure_bridge(*host, conf);
    if (!br) {
      settle_ipam();
      return std::unexpected(br.error());
    }
    bridge_index = br->index;
    facts.bridge_mac = br->mac;
    timer.mark("bridge");
  }
  std::string host_veth = host_veth_name(env.container_id, env.ifname);
  sys::VethSpec spec;
  spec.host_name = host_veth;
  spec.peer_name = env.ifname;
  spec.peer_netns_fd = podns->fd();
  spec.mtu = static_cast<uint32_t>(conf.mtu);
  if (conf.mac) spec.peer_mac = sys::Mac::parse(*conf.mac);
  spec.master = bridge_index;
  spec.host_up = true;
  auto veth = host->create_veth(spec);
  if (!veth) {
    settle_ipam();
    if (veth.error().sys_errno == EEXIST)
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("interface {} or {} in the pod already exists (ADD twice for container {}?)",
                      host_veth, env.ifname, env.container_id)));
    // The bridge (our master) deleted since ensure_bridge: ENODEV, or EINVAL for a master
    // index that no longer exists.
    if (conf.mode == Mode::bridge &&
        (veth.error().sys_errno == ENODEV || veth.error().sys_errno == EINVAL) &&
        !host->link_info(bridge_index))
      return std::unexpected(bridge_error(ENODEV, fmt::format("create veth {} on {}: {}", host_veth,
                                                              conf.bridge, veth.error().message)));
    return std::unexpected(sys_error(veth.error(), fmt::format("create veth {}", host_veth)));
  }
  ScopeGuard remove_veth([&] {
    if (auto r = host->delete_link(host_veth); !r)
      log::error("rollback: delete {} failed: {}", host_veth, r.error().message);
  });
  facts.host_mac = veth->mac;
  // Before the pod end is up: without a carrier the host end has no link-local yet.
  if (!host_ipv6_link_local(conf))
    if (auto r = host->set_ipv6_link_local(veth->index, false); !r) {
      settle_ipam();
      return std::unexpected(sys_error(r.error(), host_veth));
    }
  if (conf.gso_max_size)
    if (auto r = host->set_gso_max_size(veth->index, conf.gso_max_size); !r) {
      settle_ipam();
      return std::unexpected(sys_error(r.error(), fmt::format("gsoMaxSize on {}", host_veth)));
    }
  timer.mark("veth");

  auto ipam_json = ipam_run->wait();
  if (!ipam_json) return ipam_error(ipam_json.error());
  ip_allocated = true;
  timer.mark("ipam-wait");
  auto ipam = cni::result_from_json(*ipam_json);
  if (!ipam) return ipam_error(CniError(ipam.error().code, "result: " + ipam.error().msg));
  auto plan = PODNET_TRY(make_plan(conf, *ipam, env.container_id, env.ifname));
  if (conf.mode == Mode::bridge)
    PODNET_TRY(ensure_bridge_addresses(*host, conf, plan, bridge_index));
  PODNET_TRY(setup_host_side(*host, conf, plan, veth->index));
  timer.mark("host-side");

  // 3. Inside the pod: addresses and routes on the new interface.
  facts.pod_mac = PODNET_TRY(setup_pod_side(*podns, conf, plan));
  timer.mark("pod-side");

  // 4. Egress masquerade: one set element per pod address, never a chain per pod.
  std::string tag = nft::attachment_tag(conf.net.name, env.container_id, env.ifname);
  if (!plan.masq.empty()) {
    auto table = nft::MasqTable::open();
    if (!table) return std::unexpected(sys_error(table.error(), "nftables"));
    if (auto r = table->add(plan.masq, tag); !r)
      return std::unexpected(sys_error(r.error(), "ipMasq"));
    timer.mark("masq");
  }

  auto result = make_result(conf, plan, *ipam, facts, conf.net.prev_result);
  release_ip.dismiss();
  remove_veth.dismiss();
  log::info("added {} ({}) on {}", env.ifname, plan.addresses.front().address.str(),
            conf.mode == Mode::bridge ? conf.bridge : plan.host_veth);
  return cni::to_json(result, args.cni_version);
}

}  // namespace podnet::plugin
