#pragma once
// The CNI runtime side, as libcni runs a conflist: every plugin of the list in order for ADD
// (each with the list's name/cniVersion and the previous plugin's result as prevResult), in
// reverse order for DEL (with the cached ADD result as prevResult). The plugin processes get
// exactly the CNI_* environment of this call, never the caller's own CNI_* variables.
#include <string>

#include <nlohmann/json.hpp>

#include "podnet/common/error.hpp"

namespace podnet::lab::wl {

struct CniCall {
  std::string conflist;  // path of the .conflist
  std::string cni_path;  // CNI_PATH
  std::string container_id;
  std::string netns;  // CNI_NETNS
  std::string ifname = "eth0";
};

// The final result (of the last plugin).
Result<nlohmann::json> cni_add(const CniCall& call);
// prev_result: what ADD returned (null when unknown: DEL still releases the address).
Result<> cni_del(const CniCall& call, const nlohmann::json& prev_result);

}  // namespace podnet::lab::wl
