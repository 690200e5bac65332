#include "podnet/ipam/gc.hpp"

#include <fmt/format.h>

#include "podnet/cni/netconf.hpp"
#include "podnet/common/error.hpp"

namespace podnet::ipam {

using cni::CniError;
using nlohmann::json;

namespace {

std::unexpected<CniError> bad(std::string m) {
  return std::unexpected(CniError(cni::Code::invalid_config, std::move(m)));
}

std::expected<void, CniError> append(const json& list, const std::string& key,
                                     std::vector<Attachment>& out) {
  if (!list.is_array())
    return bad(
        fmt::format("{}: want a list of {{containerID, ifname}}, got {}", key, list.type_name()));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = fmt::format("{}[{}]", key, i);
    const json& o = list[i];
    if (!o.is_object())
      return bad(
          fmt::format("{}: want an object {{containerID, ifname}}, got {}", where, o.type_name()));
    auto id = PODNET_TRY(cni::get_string(o, "containerID", where + ".")).value_or("");
    if (id.empty()) return bad(fmt::format("{}.containerID: missing", where));
    auto ifname = PODNET_TRY(cni::get_string(o, "ifname", where + ".")).value_or("");
    if (ifname.empty()) return bad(fmt::format("{}.ifname: missing", where));
    out.push_back({std::move(id), std::move(ifname)});
  }
  return {};
}

}  // namespace

std::expected<std::vector<Attachment>, CniError> parse_valid_attachments(const json& conf) {
  std::vector<Attachment> out;
  bool found = false;
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    auto it = conf.find(key);
    if (it == conf.end() || it->is_null()) continue;
    found = true;
    PODNET_TRY(append(*it, key, out));
  }
  if (!found)
    return bad(
        "cni.dev/valid-attachments: missing; refusing to garbage-collect without the "
        "list of valid attachments");
  return out;
}

std::vector<net::IpAddress> select_for_gc(const std::vector<Allocation>& allocations,
                                          const std::vector<Attachment>& valid) {
  std::vector<net::IpAddress> out;
  for (const auto& a : allocations) {
    bool keep = false;
    if (a.owner)
      for (const auto& v : valid) keep = keep || a.owner->is(v.container_id, v.ifname);
    if (!keep) out.push_back(a.ip);
  }
  return out;
}

}  // namespace podnet::ipam
