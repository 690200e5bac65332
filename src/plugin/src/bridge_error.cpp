#include "podnet/plugin/bridge_error.hpp"

#include <cerrno>

namespace podnet::plugin {

cni::CniError bridge_error(int sys_errno, std::string msg) {
  if (sys_errno == ENODEV)
    return cni::CniError(cni::Code::try_again_later,
                         msg + " (the bridge was deleted meanwhile; try again)");
  return cni::CniError(cni::Code::io_failure, std::move(msg));
}

}  // namespace podnet::plugin
