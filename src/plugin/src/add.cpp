#include <fmt/format.h>

#include "podnet/cni/exec.hpp"
#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/scope_guard.hpp"
#include "podnet/nft/masq_table.hpp"
#include "podnet/plugin/apply.hpp"
#include "podnet/plugin/commands.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/plugin/plan.hpp"
#include "podnet/sys/netlink.hpp"
#include "podnet/sys/netns.hpp"

namespace podnet::plugin {

using cni::Code;
using cni::CniError;

cni::CmdResult cmd_add(const cni::CmdArgs& args) {
  const auto& env = args.env;
  auto conf = PODNET_TRY(load_conf(args));
  auto podns = sys::Netns::open(env.netns);
  if (!podns)
    return std::unexpected(CniError(
        Code::invalid_env, fmt::format("CNI_NETNS: {}", podns.error().message)));

  // 1. IPAM runs in its own process: start it, and build the pair while it works.
  auto ipam_plugin = PODNET_TRY(cni::find_plugin(conf.ipam_type, env.path));
  auto ipam_run = cni::start_plugin(ipam_plugin, cni::Command::add, args.stdin_data);
  if (!ipam_run) return std::unexpected(ipam_run.error());
  bool ip_allocated = false;
  // Declared first so it runs last: the address is released once nothing uses it.
  ScopeGuard release_ip([&] {
    if (!ip_allocated) return;
    if (auto r = cni::exec_plugin(ipam_plugin, cni::Command::del, args.stdin_data); !r)
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
    return std::unexpected(sys_error(veth.error(), fmt::format("create veth {}", host_veth)));
  }
  ScopeGuard remove_veth([&] {
    if (auto r = host->delete_link(host_veth); !r)
      log::error("rollback: delete {} failed: {}", host_veth, r.error().message);
  });
  facts.host_mac = veth->mac;

  auto ipam_json = ipam_run->wait();
  if (!ipam_json) return ipam_error(ipam_json.error());
  ip_allocated = true;
  auto ipam = cni::result_from_json(*ipam_json);
  if (!ipam) return ipam_error(CniError(ipam.error().code, "result: " + ipam.error().msg));
  auto plan = PODNET_TRY(make_plan(conf, *ipam, env.container_id, env.ifname));
  if (conf.mode == Mode::bridge) PODNET_TRY(ensure_bridge_addresses(*host, conf, plan, bridge_index));
  PODNET_TRY(setup_host_side(*host, conf, plan, veth->index));

  // 3. Inside the pod: addresses and routes on the new interface.
  facts.pod_mac = PODNET_TRY(setup_pod_side(*podns, conf, plan));

  // 4. Egress masquerade: one set element per pod address, never a chain per pod.
  std::string tag = nft::attachment_tag(conf.net.name, env.container_id, env.ifname);
  if (!plan.masq.empty()) {
    auto table = nft::MasqTable::open();
    if (!table) return std::unexpected(sys_error(table.error(), "nftables"));
    if (auto r = table->add(plan.masq, tag); !r)
      return std::unexpected(sys_error(r.error(), "ipMasq"));
  }

  auto result = make_result(conf, plan, *ipam, facts, conf.net.prev_result);
  release_ip.dismiss();
  remove_veth.dismiss();
  log::info("added {} ({}) on {}", env.ifname, plan.addresses.front().address.str(),
            conf.mode == Mode::bridge ? conf.bridge : plan.host_veth);
  return cni::to_json(result, args.cni_version);
}

}  // namespace podnet::plugin
