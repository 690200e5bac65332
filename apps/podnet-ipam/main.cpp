// podnet-ipam: CNI IPAM plugin (type "podnet-ipam"), a drop-in for host-local.
#include <cstdlib>

#include <fmt/format.h>

#include "podnet/common/log.hpp"
#include "podnet/ipam/build_mark.hpp"
#include "podnet/ipam/flows.hpp"

// The build mark as an ELF note in the first page of the binary: podnet reads it to decide
// that this podnet-ipam is its own build and can be run in-process (podnet/ipam/build_mark.hpp).
// Owner "podnet" (namesz 7 with the NUL), type 0x504e4d31.
asm(".pushsection .note.podnet.build_mark,\"a\",@note\n"
    ".balign 4\n"
    ".long 7\n"
    ".long 2f - 1f\n"
    ".long 0x504e4d31\n"
    ".asciz \"podnet\"\n"
    ".balign 4\n"
    "1: .ascii \"" PODNET_IPAM_BUILD_MARK
    "\"\n"
    "2: .balign 4\n"
    ".popsection\n");
static_assert(podnet::ipam::kBuildMarkNoteType == 0x504e4d31 &&
              podnet::ipam::kBuildMarkOwner == "podnet");

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
  namespace app = podnet::ipam::flows;
  podnet::log::set_prefix("podnet-ipam");
  // A debugging aid: a refused path only loses the log, never the CNI answer.
  if (const char* f = std::getenv("PODNET_IPAM_LOG")) (void)podnet::log::set_file(f);
  podnet::cni::PluginFuncs funcs{tagged("ADD", app::cmd_add), tagged("DEL", app::cmd_del),
                                 tagged("CHECK", app::cmd_check), tagged("STATUS", app::cmd_status),
                                 tagged("GC", app::cmd_gc)};
  return podnet::cni::run_plugin(funcs, "podnet-ipam: CNI IPAM plugin (host-local compatible)");
}
