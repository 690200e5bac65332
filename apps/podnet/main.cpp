// podnet: CNI plugin (spec 1.1.0). A veth pair per pod, on a node bridge or routed (ptp).
#include "podnet/cni/skel.hpp"
#include "podnet/plugin/commands.hpp"

int main() {
  return podnet::cni::run_plugin(podnet::plugin::plugin_funcs(),
                                 "podnet CNI plugin " PODNET_VERSION " (CNI spec 0.3.0-1.1.0)");
}
