// Stand-in while the podnet_proxy library is not built: the baselines still run.
#include <stdexcept>

#include "services_podnet.hpp"

namespace podnet::bench {

struct PodnetProxy::Impl {};
bool PodnetProxy::available() {
  return false;
}
PodnetProxy::PodnetProxy(const std::string&) {
  throw std::runtime_error("podnet_proxy not built");
}
PodnetProxy::~PodnetProxy() = default;
double PodnetProxy::full(const std::vector<BenchService>&) {
  return 0;
}
double PodnetProxy::update(size_t, const std::vector<SvcEndpoint>&) {
  return 0;
}
PodnetMemory podnet_memory(const std::string&, const std::string&, int) {
  return {0, 0, 0, 0, "podnet_proxy not built"};
}
int podnet_memory_child(int, const std::string&, const std::string&) {
  return 1;
}

}  // namespace podnet::bench
