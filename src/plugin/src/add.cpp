#include <fmt/format.h>

#include "podnet/cni/exec.hpp"
#include "podnet/cni/try.hpp"
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
  auto conf = PODNET_CNI_TRY(load_conf(args));
  auto podns = sys::Netns::open(env.netns);
  if (!podns)
    return std::unexpected(CniError(
        Code::invalid_env, fmt::format("CNI_NETNS: {}", podns.error().message)));

  // 1. An address first: if IPAM fails, nothing has been created yet.
  auto ipam_plugin = PODNET_CNI_TRY(cni::find_plugin(conf.ipam_type, env.path));
  auto ipam_json = cni::exec_plugin(ipam_plugin, cni::Command::add, args.stdin_data);
  if (!ipam_json) {
    auto e = ipam_json.error();
    e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  }
  ScopeGuard release_ip([&] {
    if (auto r = cni::exec_plugin(ipam_plugin, cni::Command::del, args.stdin_data); !r)
      log::error("rollback: IPAM release failed: {}", r.error().msg);
  });
  auto ipam = cni::result_from_json(*ipam_json);
  if (!ipam) {
    auto e = ipam.error();
    e.msg = fmt::format("IPAM plugin {} result: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  }
  auto plan = PODNET_CNI_TRY(make_plan(conf, *ipam, env.container_id, env.ifname));

  // 2. Host side and the pair; the pod end is born in the pod's namespace.
  auto host = sys::Netlink::open();
  if (!host) return std::unexpected(sys_error(host.error(), "open rtnetlink"));
  LinkFacts facts;
  facts.netns = env.netns;
  int bridge_index = 0;
  if (conf.mode == Mode::bridge) {
    auto br = PODNET_CNI_TRY(ensure_bridge(*host, conf, plan));
    bridge_index = br.index;
    facts.bridge_mac = br.mac;
  }
  sys::VethSpec spec;
  spec.host_name = plan.host_veth;
  spec.peer_name = env.ifname;
  spec.peer_netns_fd = podns->fd();
  spec.mtu = static_cast<uint32_t>(conf.mtu);
  if (conf.mac) spec.peer_mac = sys::Mac::parse(*conf.mac);
  spec.master = bridge_index;
  spec.host_up = true;
  auto veth = host->create_veth(spec);
  if (!veth) {
    if (veth.error().sys_errno == EEXIST)
      return std::unexpected(CniError(
          Code::invalid_config,
          fmt::format("interface {} or {} in the pod already exists (ADD twice for container {}?)",
                      plan.host_veth, env.ifname, env.container_id)));
    return std::unexpected(sys_error(veth.error(), fmt::format("create veth {}", plan.host_veth)));
  }
  ScopeGuard remove_veth([&] {
    if (auto r = host->delete_link(plan.host_veth); !r)
      log::error("rollback: delete {} failed: {}", plan.host_veth, r.error().message);
  });
  facts.host_mac = veth->mac;
  PODNET_CNI_TRY(setup_host_side(*host, conf, plan, veth->index));

  // 3. Inside the pod: addresses and routes on the new interface.
  facts.pod_mac = PODNET_CNI_TRY(setup_pod_side(*podns, conf, plan));

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
