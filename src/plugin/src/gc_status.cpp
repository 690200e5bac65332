#include <fmt/format.h>

#include <set>

#include "podnet/cni/exec.hpp"
#include "podnet/common/error.hpp"
#include "podnet/common/log.hpp"
#include "podnet/ipam/gc.hpp"
#include "podnet/nft/masq_table.hpp"
#include "podnet/plugin/commands.hpp"
#include "podnet/plugin/common.hpp"
#include "podnet/plugin/ipam_call.hpp"
#include "podnet/plugin/retire.hpp"
#include "podnet/sys/netlink.hpp"

namespace podnet::plugin {

using cni::CniError;
using cni::Code;

namespace {
// Old IPAM plugins (host-local 1.1.x) do not know STATUS or GC: that is not a failure.
bool unknown_command(const CniError& e) {
  return e.code == Code::invalid_env || e.msg.find("unknown CNI_COMMAND") != std::string::npos;
}
}  // namespace

cni::CmdResult cmd_status(const cni::CmdArgs& args) {
  auto conf = PODNET_TRY(load_conf(args));
  auto ipam_target = resolve_ipam(conf.ipam_type, args);
  if (!ipam_target)
    return std::unexpected(CniError(Code::plugin_not_available,
                                    fmt::format("IPAM plugin {} not found", conf.ipam_type)));
  if (auto r = call_ipam(*ipam_target, cni::Command::status, args); !r) {
    if (unknown_command(r.error())) return nlohmann::json();
    auto e = r.error();
    e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
    return std::unexpected(e);
  }
  return nlohmann::json();
}

cni::CmdResult cmd_gc(const cni::CmdArgs& args) {
  auto conf = PODNET_TRY(load_conf(args));
  // The IPAM plugin's rule: without a list, GC would remove every masquerade entry of the
  // network, so a missing list is a config error (7), not "nothing is valid".
  std::set<std::string> valid;
  for (const auto& a : PODNET_TRY(ipam::parse_valid_attachments(conf.net.raw)))
    valid.insert(nft::attachment_tag(conf.net.name, a.container_id, a.ifname));
  auto ipam_target = PODNET_TRY(resolve_ipam(conf.ipam_type, args));
  if (auto r = call_ipam(ipam_target, cni::Command::gc, args); !r) {
    if (!unknown_command(r.error())) {
      auto e = r.error();
      e.msg = fmt::format("IPAM plugin {}: {}", conf.ipam_type, e.msg);
      return std::unexpected(e);
    }
    log::warn("IPAM plugin {} does not support GC", conf.ipam_type);
  }
  // Masquerade entries of this network whose attachment is gone.
  auto table = nft::MasqTable::open();
  if (!table) return std::unexpected(sys_error(table.error(), "nftables"));
  std::string prefix = nft::network_tag_prefix(conf.net.name);
  auto removed = table->remove_if(
      [&](const std::string& tag) { return tag.starts_with(prefix) && !valid.contains(tag); });
  if (!removed) return std::unexpected(sys_error(removed.error(), "ipMasq GC"));
  if (*removed) log::info("GC removed {} stale masquerade entries", *removed);
  // Pairs whose background deleter never ran (killed with the node's processes, say).
  if (auto host = sys::Netlink::open()) {
    auto links = remove_retired_links(*host);
    if (!links) return std::unexpected(sys_error(links.error(), "GC of retired links"));
  }
  return nlohmann::json();
}

cni::PluginFuncs plugin_funcs() {
  cni::PluginFuncs f;
  f.add = cmd_add;
  f.del = cmd_del;
  f.check = cmd_check;
  f.status = cmd_status;
  f.gc = cmd_gc;
  return f;
}

}  // namespace podnet::plugin
