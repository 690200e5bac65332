#include "podnet/cni/error.hpp"

#include <nlohmann/json.hpp>

namespace podnet::cni {

nlohmann::json CniError::to_json(const std::string& cni_version) const {
  nlohmann::json j = {{"cniVersion", cni_version}, {"code", static_cast<int>(code)}, {"msg", msg}};
  if (!details.empty()) j["details"] = details;
  return j;
}

CniError CniError::from_json(const nlohmann::json& j) {
  CniError e;
  if (!j.is_object()) return CniError(Code::internal, "error result is not a JSON object");
  if (auto it = j.find("code"); it != j.end() && it->is_number_integer())
    e.code = static_cast<Code>(it->get<int>());
  if (auto it = j.find("msg"); it != j.end() && it->is_string()) e.msg = it->get<std::string>();
  if (auto it = j.find("details"); it != j.end() && it->is_string())
    e.details = it->get<std::string>();
  return e;
}

}  // namespace podnet::cni
