// podnetd: the podnet node agent (docs/contracts.md). Exit codes: 0 ok, 1 runtime failure,
// 2 bad flags/config (one line on stderr naming the field).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "podnet/agent/agent.hpp"
#include "podnet/agent/options.hpp"
#include "podnet/common/log.hpp"
#include "podnet/common/trusted_dir.hpp"

int main(int argc, char** argv) {
  using namespace podnet;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto o = agent::parse_args(args);
  if (!o) {
    std::fprintf(stderr, "podnetd: %s\n", o.error().message.c_str());
    return 2;
  }
  if (o->help) {
    std::fputs(agent::usage().c_str(), stdout);
    return 0;
  }
  if (o->version) {
    std::puts("podnetd " PODNET_VERSION);
    return 0;
  }
  // Root writes state, CNI configs and IPAM data here: refuse directories (or a way to them)
  // that other users can write, where they could plant links or files.
  for (const std::string* dir : {&o->state_dir, &o->cni_conf_dir, &o->ipam_data_dir}) {
    if (dir->empty()) continue;
    if (auto d = open_trusted_dir(*dir, /*create=*/true, 0755); !d) {
      std::fprintf(stderr, "podnetd: %s\n", d.error().message.c_str());
      return 2;
    }
  }
  log::set_stderr_level(o->log_level);
  log::set_prefix("podnetd[" + o->node + "]");
  if (auto f = log::set_file(o->log_file); !f) {
    std::fprintf(stderr, "podnetd: --log-file: %s\n", f.error().message.c_str());
    return 2;
  }
  try {
    return o->leave ? agent::run_leave(*o) : agent::run_agent(*o);
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return 1;
  }
}
