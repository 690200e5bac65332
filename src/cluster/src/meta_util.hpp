#pragma once
// Object metadata and port readers shared by the namespaced objects (pods, services,
// deployments). Errors name the field by its JSON path.
#include <string>
#include <string_view>

#include "json_util.hpp"
#include "podnet/cluster/objects.hpp"

namespace podnet::cluster::detail {

// metadata{name, namespace?, labels?}
struct Meta {
  std::string name, ns;
  Labels labels;
};

inline Result<Labels> read_labels(const json& obj, std::string_view key, std::string_view path) {
  Labels out;
  const json* m = PODNET_TRY(object_at(obj, key, path, false));
  if (!m) return out;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (!it.value().is_string())
      return fail(fmt::format("{}.{}: must be a string", join(path, key), it.key()));
    if (it.key().empty()) return fail(fmt::format("{}: empty key", join(path, key)));
    out.emplace(it.key(), it.value().get<std::string>());
  }
  return out;
}

inline Result<Meta> read_meta(const json& j, bool namespaced) {
  if (!j.is_object()) return fail("object: must be a JSON object");
  const json* m = PODNET_TRY(object_at(j, "metadata", "", true));
  Meta meta;
  meta.name = PODNET_TRY(req_string(*m, "name", "metadata"));
  if (namespaced) {
    PODNET_TRY_VOID(validate_dns_label(meta.name, "metadata.name"));
    meta.ns = PODNET_TRY(opt_string(*m, "namespace", "metadata")).value_or(std::string(default_namespace));
    PODNET_TRY_VOID(validate_dns_label(meta.ns, "metadata.namespace"));
    meta.labels = PODNET_TRY(read_labels(*m, "labels", "metadata"));
  }
  return meta;
}

inline json meta_json(std::string_view name, std::string_view ns, const Labels& labels) {
  json m = {{"name", name}};
  if (!ns.empty()) m["namespace"] = ns;
  if (!labels.empty()) m["labels"] = labels;
  return m;
}

inline Result<uint16_t> port_field(const json& obj, std::string_view key, std::string_view path,
                                   bool required, int64_t lo = 1) {
  auto v = PODNET_TRY(opt_int(obj, key, path));
  if (!v) {
    if (required) return fail(fmt::format("{}: missing", join(path, key)));
    return uint16_t(0);
  }
  if (*v < lo || *v > 65535)
    return fail(fmt::format("{}: {} must be in {}..65535", join(path, key), *v, lo));
  return uint16_t(*v);
}

}  // namespace podnet::cluster::detail
