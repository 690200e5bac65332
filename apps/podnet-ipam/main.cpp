// podnet-ipam: CNI IPAM plugin (type "podnet-ipam"), a drop-in for host-local.
#include <cstdlib>

#include <fmt/format.h>

#include "flows.hpp"
#include "podnet/common/log.hpp"

namespace {
// Log lines name the command and container; stdout carries only the CNI answer.
podnet::cni::CmdFunc tagged(const char* verb, podnet::cni::CmdFunc f) {
  return [verb, f](const podnet::cni::CmdArgs& a) {
    podnet::log::set_prefix(
        fmt::format("podnet-ipam[{} {}/{}]", verb, a.env.container_id, a.env.ifname));
    return f(a);
  };
}
}  // namespace

int main() {
  namespace app = podnet::ipam_app;
  podnet::log::set_prefix("podnet-ipam");
  if (const char* f = std::getenv("PODNET_IPAM_LOG")) podnet::log::set_file(f);
  podnet::cni::PluginFuncs funcs{tagged("ADD", app::cmd_add), tagged("DEL", app::cmd_del),
                                 tagged("CHECK", app::cmd_check), tagged("STATUS", app::cmd_status),
                                 tagged("GC", app::cmd_gc)};
  return podnet::cni::run_plugin(funcs, "podnet-ipam: CNI IPAM plugin (host-local compatible)");
}
